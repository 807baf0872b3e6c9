"""The synthetic generator: layout, formats, contracts, ground truth, legal cleanliness."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_exchange.config import load_settings
from shared_exchange.contracts import contract_for_file
from shared_exchange.identity import normalise_id
from shared_exchange.synth import generate
from shared_exchange.synth.faults import KINDS
from shared_exchange.synth.limits import add_months, deadline, is_rest_day
from shared_exchange.synth.world import build_world

START = dt.date(2022, 3, 1)
DETECTORS = {"custodial_sentence_not_executed", "revoked_not_committed", "correction_not_reported",
             "custody_overdue", "supplementary_investigation_over_limit",
             "held_after_release_decision", "bail_or_surveillance_overdue", "fine_not_enforced",
             "orphan_court_case", "identity_mismatch", "charge_mismatch"}
STAGES = {"detention_to_arrest_request", "arrest_review", "investigation_custody",
          "prosecution_review", "supplementary_investigation", "first_instance", "summary_trial",
          "speedy_trial", "second_instance", "bail", "residential_surveillance",
          "correction_report"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    home = tmp_path_factory.mktemp("synth")
    summary = generate(home, persons=400, days=20, seed=7, tamper=True)
    truth = json.loads(load_settings(home).ground_truth.read_text(encoding="utf-8"))
    return summary, truth, load_settings(home).landing


def _batches(landing: Path):
    for manifest in sorted(landing.glob("*/*/*/manifest.json")):
        yield manifest.parent, json.loads(manifest.read_text(encoding="utf-8"))


def _count(data: bytes, name: str) -> int:
    if name.endswith(".jsonl"):
        return data.count(b"\n")
    if name.endswith(".csv"):
        return data.count(b"\n") - 1
    return data.count(b"<defendant " if name == "judgments.xml" else b"<enforcement ")


def test_same_seed_gives_identical_files(tmp_path):
    digests = []
    for name in ("a", "b"):
        generate(tmp_path / name, persons=150, days=6, seed=3)
        landing = tmp_path / name / "landing"
        files = sorted(p for p in landing.rglob("*") if p.is_file())
        digests.append({str(p.relative_to(landing)): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in files})
        truth = tmp_path / name / "synth" / "ground_truth.json"
        digests[-1]["truth"] = hashlib.sha256(truth.read_bytes()).hexdigest()
    assert digests[0] == digests[1]
    assert not any(b["tampered"] for b in json.loads(truth.read_text())["batches"])


def test_refuses_to_overwrite_a_landing_zone(tmp_path):
    generate(tmp_path, persons=20, days=2, seed=1)
    with pytest.raises(FileExistsError):
        generate(tmp_path, persons=20, days=2, seed=1)


def test_layout_and_manifests_match_files(run):
    summary, truth, landing = run
    tampered = set(summary.tampered_batch_ids)
    seen = 0
    for folder, m in _batches(landing):
        assert folder.name == m["batch_id"]
        assert folder.parent.name == m["business_date"]
        assert folder.parent.parent.name == m["source"]
        assert m["extracted_at"].endswith("+08:00")
        digests_ok = True
        for f in m["files"]:
            data = (folder / f["name"]).read_bytes()
            digests_ok &= hashlib.sha256(data).hexdigest() == f["sha256"]
            if m["batch_id"] not in tampered:
                assert _count(data, f["name"]) == f["records"], (m["batch_id"], f["name"])
        assert digests_ok == (m["batch_id"] not in tampered)
        seen += 1
    assert seen == len(truth["batches"]) == sum(summary.batches.values())
    assert len(tampered) == 1
    assert {b["source"] for b in truth["batches"]} == {"police", "procuratorate", "court",
                                                       "justice"}
    orders = [b["delivered_order"] for b in truth["batches"]]
    assert sorted(orders) == list(range(1, len(orders) + 1))
    late = [b for b in truth["batches"] if b["late"]]
    assert late and summary.late_batch_ids == [b["batch_id"] for b in late]
    for b in late:  # delivered after a batch of a later business date
        later = [x for x in truth["batches"] if x["business_date"] > b["business_date"]]
        assert any(x["delivered_order"] < b["delivered_order"] for x in later)


def _broken(truth) -> set[tuple[str, str, int]]:
    return {(b["batch_id"], b["file"], b["line"]) for b in truth["broken_rows"]}


def test_files_follow_their_contracts(run):
    _, truth, landing = run
    broken = _broken(truth)
    extras = {c["added_column"] for c in truth["contract_changes"] if "added_column" in c}
    versions = Counter()
    for folder, m in _batches(landing):
        for f in m["files"]:
            contract = contract_for_file(m["source"], f["name"], m["contract_version"])
            names = [x.name for x in contract.fields]
            data = (folder / f["name"]).read_bytes()
            where = (m["batch_id"], f["name"])
            if contract.format == "jsonl":
                versions[(f["name"], contract.version)] += 1
                for i, line in enumerate(data.decode("utf-8").splitlines(), start=1):
                    if (m["batch_id"], f["name"], i) in broken:
                        with pytest.raises(json.JSONDecodeError):
                            json.loads(line)
                        continue
                    keys = list(json.loads(line))
                    assert [k for k in keys if k not in extras] == names, where
            elif contract.format == "csv":
                bom = data.startswith(b"\xef\xbb\xbf")
                assert bom == (contract.encoding == "utf-8-sig"), where
                lines = data.split(b"\r\n" if contract.encoding == "gb18030" else b"\n")[:-1]
                header = lines[0].decode(contract.encoding).replace('"', "").split(",")
                assert [h for h in header if h not in extras] == names, where
                for i, raw in enumerate(lines[1:], start=2):
                    if (m["batch_id"], f["name"], i) in broken:
                        continue
                    assert raw.decode(contract.encoding).count(",") >= len(names) - 1, where
            else:
                root = ET.fromstring(data)
                assert root.tag == contract.root
                case_names = [x.name for x in contract.fields if x.scope == "case"]
                row_names = [x.name for x in contract.fields if x.scope == "row"]
                ordinal = 0
                for rec in root:
                    if contract.row_element:
                        assert list(rec.attrib) == case_names
                        for row in rec:
                            ordinal += 1
                            if (m["batch_id"], f["name"], ordinal) in broken:
                                assert "charge" not in row.attrib
                            else:
                                assert list(row.attrib) == row_names, where
                    else:
                        assert list(rec.attrib) == row_names
    assert versions[("suspects.jsonl", 1)] and versions[("suspects.jsonl", 2)]


def test_broken_rows_are_really_broken(run):
    _, truth, landing = run
    kinds = Counter(b["kind"] for b in truth["broken_rows"])
    assert set(kinds) == {"truncated_json", "invalid_bytes", "wrong_type", "invalid_date",
                          "too_few_fields", "xml_missing_attribute"}
    for b in truth["broken_rows"]:
        path = next(landing.glob(f"*/*/{b['batch_id']}/{b['file']}"))
        if b["file"].endswith(".xml"):
            continue  # checked with the contract test above
        line = path.read_bytes().splitlines()[b["line"] - 1]
        if b["kind"] == "invalid_bytes":
            with pytest.raises(UnicodeDecodeError):
                line.decode("gb18030")
        elif b["kind"] == "wrong_type":
            assert '"十二"' in line.decode("gb18030")
        elif b["kind"] == "invalid_date":
            assert re.search(r'"\d{4}-02-30"', line.decode("gb18030"))
        elif b["kind"] == "too_few_fields":
            assert line.decode("utf-8-sig").count(",") == 2


def test_every_injected_kind_is_in_ground_truth(run):
    summary, truth, _ = run
    counts = truth["injected_counts"]
    for kind in KINDS:
        assert counts.get(kind.name, 0) >= 3, kind.name
    for kind in ("legacy15_id", "lowercase_x", "fullwidth_id", "spaced_id", "name_typo",
                 "other_id", "bad_checksum_id", "missing_key:police_case_no",
                 "mistyped_key:police_case_no", "missing_key:indictment_no",
                 "mistyped_key:indictment_no", "missing_key:court_case_no",
                 "mistyped_key:court_case_no", "duplicates", "out_of_order"):
        assert counts.get(kind, 0) >= 3, kind
    assert {f["detector"] for f in truth["findings"]} == DETECTORS
    assert {b["stage"] for b in truth["breaches"]} == STAGES
    assert truth["lawful_extensions"]
    changes = {c.get("added_column", "") or c["file"] for c in truth["contract_changes"]}
    assert "suspects.jsonl" in changes and len(changes) == 2
    assert summary.injected == counts
    pcs = truth["person_cases"]
    assert sum(1 for p in pcs if not p["police_case_no"]) >= 1 or len(pcs) < 500
    juvenile = Counter(p["sealing_basis"] for p in pcs if p["juvenile"])
    assert juvenile["sentence_le_5y"] and juvenile["sentence_gt_5y"] and juvenile["not_prosecuted"]


def test_ground_truth_holds_no_clear_pii(run):
    _, truth, landing = run
    ids, names, phones = set(), set(), set()
    for folder, m in _batches(landing):
        if m["source"] == "police":
            for line in (folder / "suspects.jsonl").read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                ids.add(normalise_id(row["sfzh"]).normalised)
                ids.add(row["sfzh"])
                names.add(row["xm"])
                phones.add(row.get("lxdh") or row.get("sjhm"))
    assert len(ids) > 100 and len(names) > 50
    text = load_text = json.dumps(truth, ensure_ascii=False)  # noqa: F841
    for value in ids | phones:
        assert value[-12:] not in text
    values = set()

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            values.add(x)
    walk(truth)
    assert not values & names
    assert not re.search(r"(?<![A\d])\d{17}[\dXx](?!\d)", load_text)


def test_juvenile_sealing_follows_the_rule():
    world = build_world(1500, 20, 11, 0.02, START)
    from shared_exchange.synth.truth import sealing

    seen = Counter()
    for pc in world.person_cases:
        age = _age(pc.person.birth, pc.offence_date)
        assert pc.juvenile == (age < 18)
        sealed, basis = sealing(pc, world.last)
        if not pc.juvenile:
            assert not sealed
            continue
        pr, s = pc.prosecution, pc.sentence
        judged = s is not None and pc.case.court.closed <= world.last
        unprosecuted = (pc.case.withdrawn is not None and pc.case.withdrawn <= world.last) or (
            pr is not None and pr.concluded and pr.concluded <= world.last and not pr.prosecuted)
        expected = unprosecuted or (judged and (s.months or 0) <= 60)
        assert sealed == expected, basis
        seen[basis] += 1
    assert seen["sentence_le_5y"] and seen["sentence_gt_5y"] and seen["not_prosecuted"]


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_deadlines_count_as_article_105():
    assert add_months(dt.date(2022, 1, 31), 1) == dt.date(2022, 2, 28)
    assert deadline(dt.date(2022, 9, 23), days=10, in_custody=True) == dt.date(2022, 10, 3)
    # 2022-10-03 is a National Day holiday; 2022-10-08 (Saturday) was a 调休 working day
    assert deadline(dt.date(2022, 9, 23), days=10, in_custody=False) == dt.date(2022, 10, 8)


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 1)), st.integers(1, 400))
def test_deadline_properties(start, n):
    held = deadline(start, days=n, in_custody=True)
    free = deadline(start, days=n, in_custody=False)
    assert held == start + dt.timedelta(days=n)  # the start day does not count; never moves
    assert free >= held and not is_rest_day(free)
    assert all(is_rest_day(held + dt.timedelta(days=k)) for k in range((free - held).days))
