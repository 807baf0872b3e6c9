"""The PII-leak scan: planted leaks are found and masked; a clean home has zero findings."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from shared_exchange.identity import id_check_char, make_id
from shared_exchange.reports.leak_patterns import Needles, find_patterns, mask, redact
from shared_exchange.reports.leak_scan import scan_for_leaks
from shared_exchange.reports.needles import needles_from_landing, needles_from_raw


def _clear_values(people) -> list[str]:
    return [v for p in people for v in (p.id_number, p.phone, p.name)]


def _assert_no_clear(report, people) -> None:
    text = json.dumps(report.to_json(), ensure_ascii=False)
    for value in _clear_values(people):
        assert value not in text


def test_needles_come_from_landing_and_from_decrypted_raw(small_home, people):
    landing = needles_from_landing(small_home)
    raw = needles_from_raw(small_home)
    assert landing.ids == raw.ids == {p.id_number for p in people}
    assert landing.phones == raw.phones == {p.phone for p in people}
    assert landing.names == raw.names == {p.name for p in people}


def test_clean_home_has_zero_findings(small_home, people):
    report = scan_for_leaks(small_home, needles_from_landing(small_home),
                            roots=[small_home.home])
    assert report.clean, report.findings
    assert report.files_scanned >= 6
    assert report.columns_scanned >= 5  # parquet (not *_enc) + duckdb + xcom columns
    assert not any("landing" in f for f in (s["file"] for s in report.skipped))
    assert report.needles == {"ids": 20, "phones": 20, "names": 20}


def test_planted_leaks_are_found_and_masked(small_home, people):
    victim, other, third, fourth = people[0], people[1], people[2], people[3]
    # 1. a clear ID in a log line
    with (small_home.logs / "ingest.log").open("a", encoding="utf-8") as fh:
        fh.write(f"2022-03-02 01:11:00 WARN bad row sfzh={victim.id_number} name={victim.name}\n")
    # 2. a phone in a Parquet string column (next to ciphertext that must stay unflagged)
    extra = small_home.raw / "police" / "suspects" / "police-20220302-01.parquet"
    pq.write_table(pa.table({"note": ["ok", f"call {other.phone}"],
                             "phone_enc": [b"\x01\x01" + b"\x00" * 40] * 2}), extra)
    # 3. a name in a DuckDB table
    con = duckdb.connect(str(small_home.warehouse / "build-0001.duckdb"))
    con.execute("CREATE TABLE marts.debug_dump (remark VARCHAR)")
    con.execute("INSERT INTO marts.debug_dump VALUES ('x'), (?)", [f"当事人{third.name}已到案"])
    con.close()
    # 4. a name in GB18030 in an export
    (small_home.reports / "exports").mkdir(parents=True)
    (small_home.reports / "exports" / "dump.csv").write_bytes(
        f"姓名,备注\n{fourth.name},测试\n".encode("gb18030"))
    # 5. a phone in XCom
    con = sqlite3.connect(small_home.airflow_home / "airflow.db")
    con.execute("INSERT INTO xcom VALUES (2, 'parse', 'row', ?)",
                (json.dumps({"lxdh": fourth.phone}),))
    con.commit()
    con.close()

    report = scan_for_leaks(small_home, needles_from_landing(small_home),
                            roots=[small_home.home])
    found = {(f.file, f.kind) for f in report.findings}
    assert ("logs/ingest.log", "id_number") in found
    assert ("logs/ingest.log", "name") in found
    assert ("raw/police/suspects/police-20220302-01.parquet", "phone") in found
    assert ("warehouse/build-0001.duckdb", "name") in found
    assert ("reports/exports/dump.csv", "name") in found
    assert ("airflow/airflow.db", "phone") in found
    by_loc = {f.location: f for f in report.findings}
    assert by_loc["column note, row 2"].detector == "pattern+needle"
    assert "table marts.debug_dump, column remark, row 2" in by_loc
    assert any(loc.startswith("table xcom, column value") for loc in by_loc)
    assert not any("phone_enc" in f.location for f in report.findings)
    assert not report.clean and report.by_kind["phone"] >= 2
    id_finding = next(f for f in report.findings if f.kind == "id_number")
    assert mask("id_number", victim.id_number) in id_finding.excerpt
    assert victim.name not in id_finding.excerpt
    _assert_no_clear(report, people)


def test_landing_zone_is_not_scanned_but_other_roots_are(small_home, people, tmp_path):
    target = tmp_path / "dbt_target"
    target.mkdir()
    (target / "run_results.json").write_text(
        json.dumps({"compiled_code": f"select '{people[5].phone}'"}), encoding="utf-8")
    report = scan_for_leaks(small_home, needles_from_landing(small_home),
                            roots=[small_home.home, target])
    assert [f.file for f in report.findings] == [str(target.resolve() / "run_results.json")]


def test_pattern_detector_works_without_needles(home):
    good = make_id("330106", dt.date(1988, 5, 17), 321)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    digest = hashlib.sha256(b"x").hexdigest()
    phone_like_in_hex = "ab13812345678cd" + digest  # a digit run inside a long hex token
    home.logs.mkdir(parents=True)
    key_id_like = "k13512345678abcdef012 v1+sha256:13912345678abcde"
    (home.logs / "a.log").write_text(
        f"ok={good}\nbad={bad}\n{phone_like_in_hex}\n{key_id_like}\n"
        f"order=12345678901234567890\nsfzh{good}\n", encoding="utf-8")
    report = scan_for_leaks(home, Needles(), roots=[home.home])
    assert [(f.kind, f.detector) for f in report.findings] == [("id_number", "pattern")] * 2
    assert all(good not in f.excerpt for f in report.findings)


def test_duckdb_file_locked_or_corrupt_is_reported_not_fatal(home):
    home.warehouse.mkdir(parents=True)
    (home.warehouse / "broken.duckdb").write_bytes(b"\x00" * 8 + b"DUCK" + b"\x00" * 100)
    report = scan_for_leaks(home, Needles(), roots=[home.home])
    assert report.skipped and report.skipped[0]["file"] == "warehouse/broken.duckdb"


@hsettings(max_examples=150, deadline=None)
@given(st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)), st.integers(0, 999),
       st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=20),
       st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=20))
def test_any_valid_id_between_non_digits_is_found_and_masked(born, seq, left, right):
    assume(left[-1:] not in set("abcdefABCDEF") and right[:1] not in set("abcdefABCDEF"))
    clear = make_id("330782", born, seq)
    data = f"{left}{clear}{right}".encode()
    kinds = [h.kind for h in find_patterns(data)]
    assert "id_number" in kinds
    shown = mask("id_number", clear)
    assert shown != clear and clear[6:14] not in shown


@hsettings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_wrong_check_char_is_not_an_id(first17):
    wrong = next(c for c in "0123456789X" if c != id_check_char(first17))
    assert not [h for h in find_patterns((first17 + wrong).encode()) if h.kind == "id_number"]


def test_redact_masks_needles_and_long_digit_runs(people):
    from shared_exchange.reports.leak_patterns import NeedleMatcher

    p = people[0]
    matcher = NeedleMatcher(Needles.of([p.id_number], [p.phone], [p.name]))
    shown = redact(f"{p.name} {p.id_number} {p.phone} batch 2022", matcher)
    for value in (p.name, p.id_number, p.phone):
        assert value not in shown
    assert "2022" in shown


@pytest.mark.integration
def test_real_ingestion_leaves_no_clear_pii_outside_landing(home):
    """Synthetic departments through the real ingestion: every generated person's clear ID,
    phone and name is in the landing zone, and nowhere else under the home (nor in logs)."""
    from shared_exchange import SOURCES
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.security import open_keyring
    from shared_exchange.synth import generate

    generate(home, persons=60, days=3, seed=20220301)
    for folder in (home.raw, home.logs):
        folder.mkdir(parents=True, exist_ok=True)
    open_keyring(home)
    for source in SOURCES:
        assert ingest_source(home, source)
    landing = needles_from_landing(home)
    assert len(landing.ids) >= 60 and len(landing.names) >= 55 and len(landing.phones) >= 50
    assert needles_from_raw(home) == Needles(landing.ids, landing.phones, landing.names,
                                             "raw layer (decrypted in memory)")
    report = scan_for_leaks(home, landing, roots=[home.home])
    assert report.files_scanned > 20 and report.columns_scanned > 20
    assert report.clean, [f.__dict__ for f in report.findings[:5]]
    # and the scan does see clear values where they are: the landing zone itself
    assert not scan_for_leaks(home, landing, roots=[home.landing]).clean


def test_fractional_digits_of_a_timing_are_not_a_legacy_id():
    # dbt's run_results.json: 15 fractional digits that happen to hold a valid birth date
    data = b'"execution_time": 2.040161371231079, "id": 040161371231079'
    hits = find_patterns(data)
    assert [h.start for h in hits] == [data.rindex(b"040161")], hits
