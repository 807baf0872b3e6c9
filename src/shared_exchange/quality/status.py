"""``shared-exchange status``: last runs and their gates, the published version, quarantine
counts by reason, and late or missing departments, as data and as a rich renderable."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from shared_exchange.config import Settings
from shared_exchange.quality import freshness, publish, runs
from shared_exchange.quality.storage import read_json

log = logging.getLogger(__name__)


def quarantine_counts(settings: Settings) -> dict[str, dict[str, int]]:
    """Quarantined rows per department and reason code, summed over every batch ledger."""
    counts: dict[str, Counter] = {}
    for department in freshness.DEPARTMENTS:
        total: Counter = Counter()
        for path in (settings.ledger / department).glob("*.json"):
            ledger = read_json(path) or {}
            total.update({k: int(v) for k, v in (ledger.get("quarantine_reasons") or {}).items()})
        if total:
            counts[department] = total
    return {d: dict(c.most_common()) for d, c in counts.items()}


def collect_status(settings: Settings, last_runs: int = 5) -> dict[str, Any]:
    """Everything ``status`` shows, as plain data (also the ``--json`` output)."""
    recent = []
    for run in runs.recent_runs(settings, last_runs):
        gates = run.get("gates", {})
        recent.append({
            "run_id": run["run_id"],
            "status": run.get("status"),
            "updated_at": run.get("updated_at"),
            "version": run.get("version"),
            "gates_passed": sorted(n for n, g in gates.items() if g["success"]),
            "gates_failed": sorted(n for n, g in gates.items() if not g["success"]),
            "failures": [f["message"] for g in gates.values() for f in g.get("failures", [])][:5],
            "data_docs": run.get("data_docs"),
        })
    return {
        "published_version": publish.current(settings),
        "versions": publish.versions(settings),
        "last_runs": recent,
        "quarantine": quarantine_counts(settings),
        "late_departments": [
            {"department": d.department, "business_date": d.business_date, "status": d.status,
             "hours_late": d.hours_late}
            for d in freshness.late_departments(settings)
        ],
    }


def render_status(status: dict[str, Any]) -> Group:
    """A rich renderable of ``collect_status``'s result for the CLI."""
    head = Text(f"Published version: {status['published_version'] or '(none yet)'}",
                style="bold green" if status["published_version"] else "bold yellow")

    versions = Table(title="Versions kept", show_lines=False)
    for col in ("version", "status", "run", "published at", "current"):
        versions.add_column(col)
    for v in status["versions"]:
        versions.add_row(v["version"], v["status"], v["run_id"], v.get("published_at") or "",
                         "◀" if v["current"] else "")

    last = Table(title="Last runs")
    for col in ("run", "status", "gates passed", "gates failed", "first failures", "data docs"):
        last.add_column(col, overflow="fold")
    for r in status["last_runs"]:
        style = "red" if r["status"] == "failed" else None
        last.add_row(r["run_id"], Text(str(r["status"]), style=style or ""),
                     str(len(r["gates_passed"])), ", ".join(r["gates_failed"]),
                     "\n".join(r["failures"][:3]), r["data_docs"] or "")

    quarantine = Table(title="Quarantined rows by reason")
    for col in ("department", "reason", "rows"):
        quarantine.add_column(col)
    for department, reasons in status["quarantine"].items():
        for reason, n in reasons.items():
            quarantine.add_row(department, reason, str(n))

    late = Table(title="Late, rejected or missing department batches")
    for col in ("department", "business date", "status", "hours late"):
        late.add_column(col)
    for d in status["late_departments"][:20]:
        late.add_row(d["department"], d["business_date"], d["status"],
                     "" if d["hours_late"] is None else str(d["hours_late"]))
    return Group(head, versions, last, quarantine, late)
