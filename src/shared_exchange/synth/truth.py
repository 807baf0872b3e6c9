"""Ground truth: what was injected and what the warehouse must find, with no clear PII.

Persons are named only by a synthetic ``person_key``; person-cases by their department keys
as correctly delivered. No ID number, name, phone or address is ever written here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from shared_exchange.synth.faults import KINDS
from shared_exchange.synth.limits import deadline
from shared_exchange.synth.model import Case, PersonCase

_KIND = {k.name: k for k in KINDS}


def sealing(pc: PersonCase, last: dt.date) -> tuple[bool, str]:
    """domain.md §6: a juvenile's case is sealed once it ends ≤ 5 years or unprosecuted."""
    if not pc.juvenile:
        return False, ""
    c, pr = pc.case, pc.prosecution
    if c.withdrawn and c.withdrawn <= last:
        return True, "withdrawn"
    if pr is not None and pr.concluded and pr.concluded <= last and not pr.prosecuted:
        return True, "not_prosecuted"
    if pc.sentence is not None and c.court.closed <= last:
        if (pc.sentence.months or 0) > 60:
            return False, "sentence_gt_5y"
        return True, "sentence_le_5y"
    return False, "pending"


def _first(pc: PersonCase, kind: str) -> dt.date | None:
    return next((m.start.date() for m in pc.measures if m.kind == kind), None)


def breach_deadline(pc: PersonCase, stage: str) -> dt.date:
    """The deadline the injected breach overran (custody stages never move for holidays)."""
    c, pr = pc.case, pc.prosecution
    if stage == "detention_to_arrest_request":
        return deadline(_first(pc, "JL"), days=3, in_custody=True)
    if stage == "arrest_review":
        return deadline(pc.arrest.received, days=7, in_custody=True)
    if stage == "investigation_custody":
        return deadline(_first(pc, "DB"), months=2, in_custody=True)
    if stage == "prosecution_review":
        base = pr.returns[-1][1] if pr.returns else pr.received
        return deadline(base, months=1, days=15 if pr.extended else 0, in_custody=False)
    if stage == "supplementary_investigation":
        return deadline(pr.returns[0][0], months=1, in_custody=False)
    if stage == "first_instance":
        return deadline(c.court.filed, months=3, in_custody=False)
    if stage == "summary_trial":
        return deadline(c.court.filed, days=20, in_custody=False)
    if stage == "speedy_trial":
        days = 15 if (pr.recommended or 0) > 12 else 10
        return deadline(c.court.filed, days=days, in_custody=False)
    if stage == "second_instance":
        return deadline(c.appeal.filed, months=2, in_custody=False)
    if stage == "bail":
        return deadline(_first(pc, "QB"), months=12, in_custody=False)
    if stage == "residential_surveillance":
        return deadline(_first(pc, "JJ"), months=6, in_custody=False)
    if stage == "correction_report":
        return deadline(pc.correction.effective, days=10, in_custody=False)
    raise ValueError(f"unknown stage {stage!r}")


def _court_no(pc: PersonCase) -> str:
    eff = pc.effective_case
    if eff is not None:
        return eff.case_no
    return pc.case.court.case_no if pc.case.court is not None else ""


def _ids(pc: PersonCase) -> dict[str, str]:
    return {"person_key": pc.person.key, "police_case_no": pc.case.police_no,
            "suspect_seq": f"{pc.seq:02d}", "court_case_no": _court_no(pc)}


def person_cases(cases: list[Case], last: dt.date) -> list[dict]:
    out = []
    for c in cases:
        for pc in c.persons:
            sealed, basis = sealing(pc, last)
            out.append({
                "person_key": pc.person.key, "person_case_key": pc.key,
                "police_case_no": c.police_no, "suspect_seq": f"{pc.seq:02d}",
                "arrest_proc_case_no": c.arrest_no if pc.arrest else "",
                "proc_case_no": c.prosecution_no if pc.prosecution else "",
                "indictment_no": c.indictment_no if pc.prosecution and pc.prosecution.prosecuted
                else "",
                "court_case_no": c.court.case_no if c.court and pc.sentence else "",
                "appeal_case_no": c.appeal.case_no if c.appeal and pc.sentence else "",
                "enforcement_case_no": pc.enforcement.case_no if pc.enforcement else "",
                "county_code": c.county.code, "self_investigated": c.self_investigated,
                "juvenile": pc.juvenile, "sealed": sealed, "sealing_basis": basis,
                "injected": pc.fault,
                "damage": [{"department": d, "kind": k} for d, k in pc.damage]})
    return out


def expectations(cases: list[Case]) -> tuple[list[dict], list[dict], list[dict]]:
    """(findings, breaches, lawful extensions) implied by the injected person-cases."""
    findings, breaches, lawful = [], [], []
    for c in cases:
        for pc in c.persons:
            kind = _KIND.get(pc.fault)
            if kind is not None and kind.detector:
                findings.append({**_ids(pc), "detector": kind.detector, "status": kind.status,
                                 "injected": kind.name})
            if kind is not None and kind.stage:
                proc = c.arrest_no if kind.stage == "arrest_review" else c.prosecution_no
                breaches.append({**_ids(pc), "stage": kind.stage, "proc_case_no": proc,
                                 "deadline": breach_deadline(pc, kind.stage).isoformat(),
                                 "injected": kind.name})
            if pc.fault.startswith("extension/"):
                lawful.append({**_ids(pc), "injected": pc.fault})
            for dept, damage in pc.damage:
                if damage in ("name_typo", "other_id", "bad_checksum_id"):
                    findings.append({**_ids(pc), "detector": "identity_mismatch",
                                     "status": "open", "injected": damage,
                                     "department": dept})
    return findings, breaches, lawful


def write(path: Path, truth: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # compact: the C encoder is ~10x faster than an indented dump at 100k person-cases
    path.write_text(json.dumps(truth, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")
