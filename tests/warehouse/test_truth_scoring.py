"""The detector scorer itself: it must see a missed finding, a spurious one, and count a right
prediction on clean keys even when a shared key is a damaged co-defendant's."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from shared_exchange.config import load_settings
from shared_exchange.warehouse.truth_scoring import score_detectors

A, B = "A3301000000002021090003", "A3301000000002021090004"
JOINT = "杭西检审诉受〔2021〕1号"  # one review of both suspects of case A


TRUTH_FINDINGS = [
    # suspect 02 of case A: clean; its co-suspect 01 had the review's key damaged
    {"detector": "identity_mismatch", "police_case_no": A, "suspect_seq": "02",
     "court_case_no": "（2021）浙0106刑初1号"},
    {"detector": "charge_mismatch", "police_case_no": B, "suspect_seq": "01"},
]
PERSON_CASES = [
    {"police_case_no": A, "suspect_seq": "01", "proc_case_no": JOINT,
     "damage": [{"department": "procuratorate", "kind": "mistyped_key:police_case_no"}]},
    {"police_case_no": A, "suspect_seq": "02", "proc_case_no": JOINT, "damage": []},
    {"police_case_no": B, "suspect_seq": "01", "damage": []},
]


def _score(tmp_path: Path, findings: list[tuple], truth_findings: list[dict] = TRUTH_FINDINGS,
           person_cases: list[dict] = PERSON_CASES) -> dict:
    """Score `findings` (detector, police_case_no, suspect_seq, proc_case_no, court_case_no)
    against a truth of `truth_findings` over `person_cases`."""
    settings = load_settings(tmp_path)
    truth = {"findings": truth_findings, "breaches": [], "person_cases": person_cases}
    settings.ground_truth.parent.mkdir(parents=True, exist_ok=True)
    settings.ground_truth.write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "marts.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table detector_findings (detector varchar, police_case_no varchar, "
                    "suspect_seq varchar, proc_case_no varchar, court_case_no varchar)")
        con.executemany("insert into detector_findings values (?, ?, ?, ?, ?)", findings)
        con.execute("create table time_limit_checks (stage varchar, police_case_no varchar, "
                    "suspect_seq varchar, proc_case_no varchar, court_case_no varchar, "
                    "breached boolean)")
    return score_detectors(settings, db)


RIGHT = [("identity_mismatch", A, "02", JOINT, "（2021）浙0106刑初1号"),
         ("charge_mismatch", B, "01", None, None)]


def test_every_expected_finding_predicted_scores_one(tmp_path):
    report = _score(tmp_path, RIGHT)
    assert report["findings"]["overall"]["precision"] == 1.0
    assert report["findings"]["overall"]["recall"] == 1.0
    # the prediction carries the joint review's number, a damaged co-suspect's key too
    assert report["clean_keys"]["findings"] == {
        "true_positives": 2, "predicted": 2, "expected": 2, "precision": 1.0, "recall": 1.0}


@pytest.mark.parametrize(("findings", "precision", "recall"), [
    (RIGHT[:1], 1.0, 0.5),                                              # one missed
    (RIGHT + [("custody_overdue", B, "01", None, None)], 0.6667, 1.0),  # one spurious
    ([("charge_mismatch", A, "02", JOINT, None), RIGHT[1]], 0.5, 0.5),  # wrong detector
])
def test_a_missed_or_spurious_finding_lowers_the_clean_scores(tmp_path, findings, precision,
                                                               recall):
    clean = _score(tmp_path, findings)["clean_keys"]["findings"]
    assert (clean["precision"], clean["recall"]) == (precision, recall), clean


def test_co_defendants_sharing_a_court_case_number_are_told_apart(tmp_path):
    """A 案号 is shared by co-defendants: a prediction pairs with its own person-case first
    (the police key), or one of two right predictions would count as wrong."""
    court = "（2021）浙0205刑初1号"
    truth = [{"detector": "identity_mismatch", "police_case_no": A, "suspect_seq": seq,
              "court_case_no": court} for seq in ("01", "03")]
    predicted = [("identity_mismatch", A, "03", None, court),
                 ("identity_mismatch", A, "01", None, None)]
    overall = _score(tmp_path, predicted, truth, person_cases=[])["findings"]["overall"]
    assert (overall["true_positives"], overall["precision"], overall["recall"]) == (2, 1.0, 1.0)
