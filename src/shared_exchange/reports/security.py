"""The security officers' report (security-baseline.md §5): one self-contained HTML and a JSON.

Each section is collected on its own and degrades to ``{"available": false, "error": ...}``
when the module behind it is missing or fails, so one broken part never hides the rest.
The audit head is published with each report (only over a log that verifies), so a later
verifier holding this report can detect truncation or rewriting.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shared_exchange.config import PROJECT_ROOT, Settings
from shared_exchange.reports.leak_patterns import redact

__all__ = ["KEY_MAX_AGE_DAYS", "ReportPaths", "build_security_report", "collect_security_facts"]

log = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# Project choice: an enabled scope key older than this should have been rotated.
KEY_MAX_AGE_DAYS = int(os.environ.get("SHARED_EXCHANGE_KEY_MAX_AGE_DAYS", "365"))
TEMPLATE = "security.html.j2"
ACCESS_EVENTS = ("unmask", "sealed_access")
KEY_EVENTS = ("key.created", "key.rotated", "key.retired", "key.destroyed", "person.shredded")


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    json: Path


def _section(name: str, collect: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"available": True, **collect()}
    except Exception as exc:  # noqa: BLE001 - a missing module shows as "not available"
        log.warning("security report: section %s not available (%s: %s)", name,
                    type(exc).__name__, exc)
        # redact: an error text could echo a value (digit runs are starred)
        return {"available": False, "error": redact(f"{type(exc).__name__}: {exc}")[:300]}


def _period(kind: str, as_of: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if kind == "daily":
        start = dt.datetime.combine(as_of, dt.time(), LOCAL_TZ)
        return start, start + dt.timedelta(days=1)
    if kind == "monthly":
        start = dt.datetime(as_of.year, as_of.month, 1, tzinfo=LOCAL_TZ)
        nxt = dt.datetime(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1,
                          tzinfo=LOCAL_TZ)
        return start, nxt
    raise ValueError(f"report period {kind!r} must be 'daily' or 'monthly'")


def _events(settings: Settings, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Events of the period, read leniently: verification reports damage separately."""
    from shared_exchange.audit import AuditLog

    found = []
    for _, line in AuditLog(settings).lines():
        try:
            event = json.loads(line)
            when = dt.datetime.fromisoformat(str(event["time"]))
        except (ValueError, KeyError, TypeError):
            continue
        if start <= when < end:
            event["local_time"] = when.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
            found.append(event)
    return found


def _classification() -> dict[str, Any]:
    from shared_exchange.security.classification import check_classification, load_catalog

    catalog = load_catalog(PROJECT_ROOT / "dbt_project")
    violations = check_classification(catalog)
    datasets = []
    for ds in sorted(catalog.datasets.values(), key=lambda d: (d.kind, d.name)):
        cols = list(ds.columns.values())
        tagged = [c for c in cols if c.level and c.pi]
        mine = [str(v) for v in violations if f"{ds.kind} {ds.name})" in v.where]
        datasets.append({
            "name": ds.name, "kind": ds.kind, "sharing": ds.sharing, "level": ds.level,
            "columns": len(cols), "classified": len(tagged),
            "coverage": round(len(tagged) / len(cols), 4) if cols else 0.0,
            "pii_columns": sorted(c.name for c in cols if c.pi and c.pi != "none"),
            "violations": mine,
        })
    total = sum(d["columns"] for d in datasets)
    tagged = sum(d["classified"] for d in datasets)
    return {"origin": catalog.origin, "datasets": datasets, "violations_total": len(violations),
            "coverage": round(tagged / total, 4) if total else 0.0}


def _masking_matrix() -> dict[str, Any]:
    from shared_exchange.security.classification import load_catalog
    from shared_exchange.security.policy import load_policy

    policy = load_policy()
    roles = sorted(policy.roles)
    pis = sorted({pi for rp in policy.roles.values() for pi in rp.forms} | {"id_number",
                  "name", "phone", "address", "birth_date"})
    by_pi = [{"pi": pi, "forms": {r: policy.roles[r].form(pi) for r in roles}} for pi in pis]
    catalog = load_catalog(PROJECT_ROOT / "dbt_project")
    datasets = []
    for name in sorted(policy.datasets):
        ds = catalog.datasets.get(name)
        if ds is None:
            datasets.append({"dataset": name, "sharing": None, "columns": [],
                             "note": "not in the dbt catalog yet"})
            continue
        readers = {r: policy.may_read(r, name, ds.sharing) for r in roles}
        columns = [{"column": c.name, "pi": c.pi,
                    "forms": {r: policy.roles[r].form(c.pi) if readers[r] else "no access"
                              for r in roles}}
                   for c in ds.columns.values()]
        datasets.append({"dataset": name, "sharing": ds.sharing, "readers": readers,
                         "columns": columns})
    return {"policy_version": policy.version, "policy_file": policy.path.name, "roles": roles,
            "by_pi": by_pi, "datasets": datasets,
            "privileges": {r: sorted(policy.roles[r].privileges) for r in roles}}


def _keys(settings: Settings, now: dt.datetime, events: list[dict[str, Any]]) -> dict[str, Any]:
    if not (settings.keys / "keyring.json").exists():
        raise FileNotFoundError(f"no keyring at {settings.keys}; nothing has been encrypted yet")
    from shared_exchange.security import open_keyring

    ring = open_keyring(settings)
    records = []
    for rec in ring.records():
        created = dt.datetime.fromisoformat(rec.created_at)
        age = (now - created).days
        records.append({**rec.__dict__, "age_days": age,
                        "overdue": rec.state == "enabled" and rec.primary
                        and rec.purpose == "field" and age > KEY_MAX_AGE_DAYS})
    stats = ring.person_key_stats() if hasattr(ring, "person_key_stats") else {}
    return {"records": records, "person_keys": stats, "max_age_days": KEY_MAX_AGE_DAYS,
            "overdue": sum(r["overdue"] for r in records),
            "changes": [e for e in events if e.get("type") in KEY_EVENTS]}


def _audit(settings: Settings) -> dict[str, Any]:
    from shared_exchange.audit import publish_head, verify

    result = verify(settings)
    facts: dict[str, Any] = {"verification": result.to_json()}
    for head in facts["verification"]["heads"]:
        head.pop("consistency_proof", None)  # long; recomputable from the log
    facts["head"] = publish_head(settings).to_json() if result.ok else None
    if not result.ok:
        facts["head_note"] = "not published: the log failed verification"
    return facts


def _leaks(settings: Settings) -> dict[str, Any]:
    from shared_exchange.reports.leak_scan import scan_for_leaks

    return scan_for_leaks(settings).to_json()


def _check(name: str, label: str, status: str, detail: str) -> dict[str, str]:
    return {"name": name, "label": label, "status": status, "detail": detail}


def _summary(facts: dict[str, Any]) -> dict[str, Any]:
    checks = []
    audit = facts["audit"]
    if not audit["available"]:
        checks.append(_check("audit", "审计日志 Audit log", "red", "verification could not run"))
    else:
        ver = audit["verification"]
        checks.append(_check("audit", "审计日志 Audit log", "green" if ver["ok"] else "red",
                             f"{ver['tree_size']} events verified, {len(ver['heads'])} head(s)"
                             if ver["ok"] else f"{len(ver['problems'])} problem(s): tampering"))
    leaks = facts["leak_scan"]
    if not leaks["available"]:
        checks.append(_check("leaks", "敏感信息泄漏 PII leaks", "red", "scan could not run"))
    else:
        partial = sum(leaks["needles"].values()) == 0
        status = "red" if leaks["total_findings"] else ("amber" if partial else "green")
        checks.append(_check("leaks", "敏感信息泄漏 PII leaks", status,
                             f"{leaks['total_findings']} finding(s) in {leaks['files_scanned']} "
                             "files" + (" (patterns only: no name needles)" if partial else "")))
    cls = facts["classification"]
    checks.append(_check("classification", "分类分级 Classification",
                         "amber" if not cls["available"] else
                         ("red" if cls["violations_total"] else "green"),
                         "not available" if not cls["available"] else
                         f"{cls['coverage']:.1%} of columns tagged, "
                         f"{cls['violations_total']} violation(s)"))
    keys = facts["keys"]
    checks.append(_check("keys", "密钥 Keys", "amber" if not keys["available"] else
                         ("red" if keys["overdue"] else "green"),
                         "not available" if not keys["available"] else
                         f"{len(keys['records'])} keys, {keys['overdue']} overdue for rotation"))
    unjustified = [e for e in facts["accesses"] if not e.get("purpose")
                   or (e.get("type") == "unmask" and not e.get("approver"))]
    checks.append(_check("accesses", "特权访问 Privileged access",
                         "red" if unjustified else "green",
                         f"{len(facts['accesses'])} unmask/sealed access(es), "
                         f"{len(unjustified)} without purpose or approver"))
    checks.append(_check("denied", "拒绝的查询 Denied queries", "info",
                         f"{len(facts['denied_queries'])} denied in the period"))
    worst = ("red" if any(c["status"] == "red" for c in checks) else
             "amber" if any(c["status"] == "amber" for c in checks) else "green")
    return {"status": worst, "checks": checks}


def collect_security_facts(settings: Settings, *, period: str = "daily",
                           as_of: dt.date | None = None) -> dict[str, Any]:
    """Every fact of the report, as JSON-ready data (the JSON report is exactly this)."""
    now = dt.datetime.now(dt.UTC)
    as_of = as_of or now.astimezone(LOCAL_TZ).date()
    start, end = _period(period, as_of)
    events = _events(settings, start, end)
    facts: dict[str, Any] = {
        "report": "security", "schema_version": 1,
        "generated_at": now.isoformat(timespec="seconds"), "home": str(settings.home),
        "period": {"kind": period, "as_of": as_of.isoformat(), "start": start.isoformat(),
                   "end": end.isoformat()},
        "event_counts": dict(Counter(e.get("type", "?") for e in events)),
        "accesses": [e for e in events if e.get("type") in ACCESS_EVENTS],
        "denied_queries": [e for e in events if e.get("type") == "query.denied"],
        "policy_changes": [e for e in events if e.get("type") == "policy.changed"],
    }
    facts["classification"] = _section("classification", _classification)
    facts["masking_matrix"] = _section("masking_matrix", _masking_matrix)
    facts["keys"] = _section("keys", lambda: _keys(settings, now, events))
    facts["leak_scan"] = _section("leak_scan", lambda: _leaks(settings))
    facts["audit"] = _section("audit", lambda: _audit(settings))
    facts["summary"] = _summary(facts)
    return facts


def _render(facts: dict[str, Any]) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                      autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template(TEMPLATE).render(f=facts)


def build_security_report(settings: Settings, *, period: str = "daily",
                          as_of: dt.date | None = None) -> ReportPaths:
    """Write ``reports/security/<date>/security-report.{html,json}`` and return their paths."""
    facts = collect_security_facts(settings, period=period, as_of=as_of)
    folder = settings.reports / "security" / facts["period"]["as_of"]
    folder.mkdir(parents=True, exist_ok=True)
    stem = "security-report" if period == "daily" else f"security-report-{period}"
    paths = ReportPaths(folder / f"{stem}.html", folder / f"{stem}.json")
    for path, text in ((paths.json, json.dumps(facts, ensure_ascii=False, indent=2) + "\n"),
                       (paths.html, _render(facts))):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    log.info("security report (%s): %s", facts["summary"]["status"], paths.html)
    return paths
