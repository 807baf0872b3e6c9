"""Score identity linking in a built warehouse against the synthetic ground truth.

Ground truth (``<home>/synth/ground_truth.json``) lists, per person-case, the department
keys as correctly delivered and the damage the generator did. A person-case is anchored by
its police key (police_case_no, suspect_seq), or by its 部门受案号 when self-investigated.
A *link* is an (anchor, department key) pair that the warehouse had to infer, e.g. the
prosecution review P attached to police suspect A/01. Precision = correct predicted links /
predicted links; recall = correct predicted links / true links whose record was delivered
(present in staging) by the last business date. ``damaged`` repeats both
over the person-cases whose keys or identity the generator damaged.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import duckdb

from shared_exchange.config import Settings

__all__ = ["DEPARTMENT_KEYS", "score_linking"]

log = logging.getLogger(__name__)
# department -> (ground-truth key, person_cases column) pairs that record an inferred link
DEPARTMENT_KEYS = {
    "procuratorate": [("arrest_proc_case_no", "arrest_review_no"),
                      ("proc_case_no", "proc_case_no")],
    "court": [("court_case_no", "court_case_no"), ("appeal_case_no", "appeal_case_no")],
    "justice": [("enforcement_case_no", "enforcement_case_no")],
}
# where each key is delivered: a link to a record not yet delivered cannot be expected
_DELIVERED = {
    "arrest_proc_case_no": "select proc_case_no from staging.stg_procuratorate__arrest_reviews",
    "proc_case_no": "select proc_case_no from staging.stg_procuratorate__prosecution_reviews",
    "court_case_no": "select court_case_no from staging.stg_court__judgments",
    "appeal_case_no": "select court_case_no from staging.stg_court__judgments",
    "enforcement_case_no": "select enforcement_case_no from staging.stg_court__enforcements",
}
_COLUMNS = sorted({c for pairs in DEPARTMENT_KEYS.values() for _, c in pairs}
                  | {"police_case_no", "suspect_seq", "link_method"})


def _truth_anchor(pc: dict) -> tuple[str, ...]:
    if pc.get("self_investigated"):
        return ("procuratorate", pc["proc_case_no"])
    return ("police", pc["police_case_no"], pc["suspect_seq"])


def _mart_anchor(row: dict) -> tuple[str, ...]:
    if row["police_case_no"]:
        return ("police", row["police_case_no"], row["suspect_seq"])
    if row["proc_case_no"]:
        return ("procuratorate", row["proc_case_no"])
    return ("court", row["court_case_no"])


def _pairs(rows: list[dict], anchor, keys: list[tuple[str, str]], side: int) -> set[tuple]:
    out = set()
    for row in rows:
        a = anchor(row)
        for pair in keys:
            value = row.get(pair[side])
            # the key that anchors a person-case is its origin, not a link
            if value and value not in a:
                out.add((a, pair[0], value))
    return out


def _rates(predicted: set, true: set) -> dict:
    hit = len(predicted & true)
    return {
        "precision": round(hit / len(predicted), 4) if predicted else 1.0,
        "recall": round(hit / len(true), 4) if true else 1.0,
        "predicted": len(predicted), "true": len(true), "correct": hit,
    }


def score_linking(settings: Settings, db_path: Path) -> dict:
    """Precision/recall of each department's links (and overall, and on damaged cases)."""
    truth_path = settings.ground_truth
    if not truth_path.exists():
        raise FileNotFoundError(
            f"{truth_path} not found: linking can only be scored on synthetic data "
            "(run `shared_exchange.synth.generate` for this SHARED_EXCHANGE_HOME)")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))["person_cases"]
    with duckdb.connect(str(db_path), read_only=True) as con:
        cur = con.execute(f"select {', '.join(_COLUMNS)} from person_cases")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        delivered = {key: {v for (v,) in con.execute(sql).fetchall()}
                     for key, sql in _DELIVERED.items()}
    damaged = {_truth_anchor(pc) for pc in truth if pc.get("damage")}
    report: dict = {"departments": {}, "damaged": {}}
    all_pred: set = set()
    all_true: set = set()
    for dept, keys in DEPARTMENT_KEYS.items():
        pred = _pairs(rows, _mart_anchor, keys, side=1)
        true = {t for t in _pairs(truth, _truth_anchor, keys, side=0)
                if t[2] in delivered[t[1]]}
        report["departments"][dept] = _rates(pred, true)
        report["damaged"][dept] = _rates({p for p in pred if p[0] in damaged},
                                         {t for t in true if t[0] in damaged})
        all_pred |= pred
        all_true |= true
    report["overall"] = _rates(all_pred, all_true)
    report["damaged"]["overall"] = _rates({p for p in all_pred if p[0] in damaged},
                                          {t for t in all_true if t[0] in damaged})
    report["link_methods"] = dict(Counter(r["link_method"] for r in rows))
    report["person_cases"] = {"mart": len(rows), "truth": len(truth),
                              "damaged": len(damaged)}
    log.info("linking precision %.4f recall %.4f", report["overall"]["precision"],
             report["overall"]["recall"])
    return report
