"""Score the legal marts (detector_findings, time_limit_checks) against the synthetic truth.

The generator writes ``<home>/synth/ground_truth.json`` with the findings and breaches it
injected, each naming its person-case by department keys as correctly delivered. A
prediction matches an expectation when the detector (or stage) is the same and they share
a key: the police key (police_case_no, suspect_seq), the 部门受案号 (breaches) or the
court 案号. Precision and recall are reported per detector and per stage, overall and on
*clean keys* (person-cases whose delivered keys the generator did not damage).

A missing report, an overdue bail or an overdue custody stage is both a finding and a
breach. The truth lists the breach only for kinds injected as breaches, so a predicted
breach explained by an expected finding of its detector on the same person-case is not
counted as a false positive (reported as ``explained_by_finding``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb

from shared_exchange.config import Settings

__all__ = ["STAGE_DETECTOR", "score_detectors"]

log = logging.getLogger(__name__)
# the detector whose finding a breach of the stage also is
STAGE_DETECTOR = {
    "correction_report": "correction_not_reported",
    "bail": "bail_or_surveillance_overdue",
    "residential_surveillance": "bail_or_surveillance_overdue",
    **{s: "custody_overdue" for s in (
        "detention_to_arrest_request", "arrest_review", "investigation_custody",
        "prosecution_review", "supplementary_investigation", "first_instance",
        "summary_trial", "speedy_trial", "second_instance")},
}
_KEY_DAMAGE = ("missing_key", "mistyped_key")


def _seq(value: object) -> str:
    text = str(value or "").strip()
    return text.lstrip("0") or ("0" if text else "")


def _keys(row: dict) -> frozenset[tuple[str, str]]:
    """Every key that names the person-case of a truth or mart row."""
    keys = set()
    if row.get("police_case_no"):
        keys.add(("police", f"{row['police_case_no']}/{_seq(row.get('suspect_seq'))}"))
    for name in ("court_case_no", "appeal_case_no", "proc_case_no", "arrest_proc_case_no"):
        if row.get(name):
            keys.add((name.replace("arrest_", ""), str(row[name])))
    return frozenset(keys)


def _metrics(tp: int, n_pred: int, n_true: int) -> dict:
    return {"true_positives": tp, "predicted": n_pred, "expected": n_true,
            "precision": round(tp / n_pred, 4) if n_pred else 1.0,
            "recall": round(tp / n_true, 4) if n_true else 1.0}


def _police(keys: frozenset) -> frozenset:
    return frozenset(k for k in keys if k[0] == "police")


def _damaged(keys: frozenset, damaged: frozenset) -> bool:
    """Whether a row names a person-case whose keys were damaged: by its police key (case +
    嫌疑人编号) when it has one, since a 部门受案号 or 案号 may be shared with a co-defendant
    (a joint review or trial) whose keys were damaged; else by any key."""
    return bool((_police(keys) or keys) & damaged)


def _match(expected: list[dict], predicted: list[dict], label: str,
           damaged: frozenset = frozenset()) -> tuple[dict[str, dict], dict[str, dict]]:
    """Greedy one-to-one matching per label (detector or stage): metrics per label, overall
    and on clean keys. The clean metrics use the same matching: a prediction is a clean
    true positive when it matched an expectation of an undamaged person-case, a clean false
    positive when it matched nothing and names no damaged person-case."""
    overall: dict[str, dict] = {}
    clean: dict[str, dict] = {}
    for name in sorted({r[label] for r in expected} | {r[label] for r in predicted}):
        exp = [r for r in expected if r[label] == name]
        pred = [r for r in predicted if r[label] == name]
        # a police key (case + 嫌疑人编号) names one person-case; a 案号 or 部门受案号 may be
        # shared by co-defendants: pair on police keys first, then on any key
        hits: dict[int, int] = {}
        used: set[int] = set()
        for own in (True, False):
            for j, p in enumerate(pred):
                if j in hits:
                    continue
                keys = _police(p["_keys"]) if own else p["_keys"]
                hit = next((i for i, e in enumerate(exp) if i not in used
                            and keys & (_police(e["_keys"]) if own else e["_keys"])), None)
                if hit is not None:
                    hits[j] = hit
                    used.add(hit)
        tp = len(hits)
        tp_clean = sum(not _damaged(exp[i]["_keys"], damaged) for i in used)
        fp_clean = sum(not _damaged(p["_keys"], damaged) for j, p in enumerate(pred)
                       if j not in hits)
        overall[name] = _metrics(tp, len(pred), len(exp))
        clean[name] = _metrics(tp_clean, tp_clean + fp_clean,
                               sum(not _damaged(e["_keys"], damaged) for e in exp))
    return overall, clean


def _dedupe(rows: list[dict], label: str) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        ident = (r[label], r["_keys"])
        if ident not in seen:
            seen.add(ident)
            out.append(r)
    return out


def _query(db_path: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _summarise(per: dict[str, dict]) -> dict:
    tp = sum(m["true_positives"] for m in per.values())
    return _metrics(tp, sum(m["predicted"] for m in per.values()),
                    sum(m["expected"] for m in per.values()))


def score_detectors(settings: Settings, db_path: Path) -> dict:
    """Precision/recall of detector_findings and breached time_limit_checks vs the truth."""
    truth_path = settings.ground_truth
    if not truth_path.exists():
        raise FileNotFoundError(f"{truth_path} not found: score only a synthetic deployment "
                                "(python -m shared_exchange.synth …) after its build")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    damaged = [frozenset(_keys(pc)) for pc in truth.get("person_cases", [])
               if any(d["kind"].startswith(_KEY_DAMAGE) for d in pc.get("damage", []))]
    damaged_keys = frozenset().union(*damaged) if damaged else frozenset()

    def tag(rows: list[dict]) -> list[dict]:
        for r in rows:
            r["_keys"] = _keys(r)
        return rows

    exp_findings = _dedupe(tag([dict(r) for r in truth.get("findings", [])]), "detector")
    exp_breaches = tag([dict(r) for r in truth.get("breaches", [])])
    pred_findings = tag(_query(db_path, """
        select detector, police_case_no, suspect_seq, proc_case_no, court_case_no
        from detector_findings"""))
    pred_breaches = tag(_query(db_path, """
        select stage, police_case_no, suspect_seq, proc_case_no, court_case_no
        from time_limit_checks where breached"""))
    lawful = [_keys(r) for r in truth.get("lawful_extensions", [])]

    explained = [p for p in pred_breaches
                 if not any(e["stage"] == p["stage"] and e["_keys"] & p["_keys"]
                            for e in exp_breaches)
                 and any(f["detector"] == STAGE_DETECTOR.get(p["stage"])
                         and f["_keys"] & p["_keys"] for f in exp_findings)]
    pred_breaches = [p for p in pred_breaches if p not in explained]

    findings, clean_findings = _match(exp_findings, pred_findings, "detector", damaged_keys)
    breaches, clean_breaches = _match(exp_breaches, pred_breaches, "stage", damaged_keys)
    result = {
        "findings": {"overall": _summarise(findings), "per_detector": findings},
        "breaches": {"overall": _summarise(breaches), "per_stage": breaches,
                     "explained_by_finding": len(explained)},
        "clean_keys": {"findings": _summarise(clean_findings),
                       "per_detector": clean_findings,
                       "breaches": _summarise(clean_breaches), "per_stage": clean_breaches},
        "lawful_extensions_flagged": sum(
            1 for keys in lawful for p in pred_breaches if keys & p["_keys"]),
    }
    log.info("detector scoring: findings %s, breaches %s", result["findings"]["overall"],
             result["breaches"]["overall"])
    return result

