"""Corrupt a mart build on purpose: the gate fails, publication is blocked, readers keep the old
version, and the run summary, Data Docs and error name suite, check, dataset and sample keys."""

from __future__ import annotations

import json

import duckdb
import pytest
from marts_builder import write_marts

from shared_exchange.quality import publish as pub
from shared_exchange.quality.gates import GateFailed, gate_layer
from shared_exchange.quality.runs import load_run


@pytest.fixture
def published(settings):
    """A first version, published (no gates needed to seed the history)."""
    build = pub.start_build(settings, "seed_run")
    write_marts(build.path, persons=60)
    pub.publish(settings, build, require_gates=False)
    return build.version


def _fingerprint(settings) -> tuple[str, int, int]:
    """What a reader of the published marts sees, opened the way the gateway opens it."""
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        persons = con.execute("select count(*) from person_cases").fetchone()[0]
        dupes = con.execute("select count(*) - count(distinct person_case_id) "
                            "from person_cases").fetchone()[0]
    finally:
        con.close()
    return pub.current(settings), persons, dupes


def _corrupted_build(settings, run_id: str, sql: str):
    build = pub.start_build(settings, run_id)
    write_marts(build.path, persons=60)
    con = duckdb.connect(str(build.path))
    con.execute(sql)
    con.close()
    return build


CORRUPTIONS = {
    "duplicated_key": (
        "insert into person_cases select * from person_cases where person_case_id = 'pc-00007'",
        "person_cases", "key_unique", "pc-00007"),
    "rate_above_one": (
        "update scoreboard_daily set rate = 1.4, numerator = 28 where indicator = "
        "'non_prosecution_rate' and period_start = '2022-03-02' and region_code = '3302'",
        "scoreboard_daily", "rate_in_unit_interval", "3302"),
    "numerator_above_denominator": (
        "update scoreboard_monthly set numerator = 25 where region_code = '3301'",
        "scoreboard_monthly", "numerator_not_above_denominator", "3301"),
    "sealed_row_in_shared_mart": (
        "alter table scoreboard_quarterly add column sealed boolean default false; "
        "update scoreboard_quarterly set sealed = true where region_code = '3302'",
        "mart_catalog", "no_sealed_row_outside_restricted", "scoreboard_quarterly"),
    "sealed_flag_dropped_on_event": (
        "update case_events set sealed = false where person_case_id = 'pc-00010'",
        "case_events", "sealed_flag_matches_case", "pc-00010"),
    "volume_drop_half": (
        "delete from person_cases where person_case_id > 'pc-00030'",
        "person_cases", "volume_vs_published", None),
    "suppressed_cell_shown": (
        "update scoreboard_daily set numerator = 3, denominator = 4 where suppressed",
        "scoreboard_daily", "suppressed_cells_hidden", "330106"),
    "dangling_person_case": (
        "update case_events set person_case_id = 'pc-gone' where event_id = 'pc-00003-e2'",
        "case_events", "person_case_exists", "pc-00003-e2"),
    "event_before_filing": (
        "update case_events set event_date = date '2021-01-01' where event_id = 'pc-00005-e1'",
        "case_events", "no_event_before_case_filed", "pc-00005-e1"),
    "person_case_without_region": (
        "update person_cases set city_code = null where person_case_id = 'pc-00042'",
        "person_cases", "has_region", "pc-00042"),
}


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupted_marts_fail_gate_and_block_publication(settings, published, name):
    sql, dataset, check, key = CORRUPTIONS[name]
    before = _fingerprint(settings)
    run_id = f"corrupt_{name}"
    build = _corrupted_build(settings, run_id, sql)

    with pytest.raises(GateFailed) as caught:
        gate_layer(settings, "marts", build.path, run_id)

    # the failure names suite, check, dataset and a sample of offending keys
    message = str(caught.value)
    assert f"suite {dataset}.json" in message and check in message
    detail = next(d for d in caught.value.details
                  if d["check"] == check and d["dataset"] == dataset)
    assert detail["suite"] == f"{dataset}.json"
    if key is not None:
        assert key in json.dumps(detail["sample_keys"], ensure_ascii=False)
    # publication refuses the run, and readers still see the old version
    with pytest.raises(pub.PublishError, match="failed gates"):
        pub.publish(settings, build)
    assert _fingerprint(settings) == before == (published, 60, 0)
    # the run summary and its Data Docs name the cause
    run = load_run(settings, run_id)
    assert run["status"] == "failed"
    assert any(f["check"] == check for f in run["gates"][dataset]["failures"])
    docs = settings.reports / "data_docs" / run_id
    assert check in (docs / "index.html").read_text("utf-8")
    assert list((docs / dataset / "validations").rglob("*.html"))
    # the refusal is an audit event
    lines = (settings.audit / "audit.log").read_text("utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert any(e["type"] == "pipeline.gate_failed" and dataset in e["datasets"] for e in events)


@pytest.mark.integration
def test_clean_build_passes_every_gate_and_publishes(settings, published):
    build = pub.start_build(settings, "clean_run")
    write_marts(build.path, persons=66)  # +10%: within the volume bounds
    result = gate_layer(settings, "marts", build.path, "clean_run")
    assert result.success
    assert {r.dataset for r in result} >= {"person_cases", "case_events", "mart_catalog",
                                           "scoreboard_daily", "detector_findings"}
    pub.publish(settings, build)
    assert _fingerprint(settings) == (build.version, 66, 0)
    run = load_run(settings, "clean_run")
    assert run["status"] == "published" and run["version"] == build.version
    assert all(g["success"] for g in run["gates"].values())


@pytest.mark.integration
def test_missing_mart_fails_gate(settings, published):
    build = _corrupted_build(settings, "missing_mart", "drop table detector_findings")
    with pytest.raises(GateFailed) as caught:
        gate_layer(settings, "marts", build.path, "missing_mart")
    checks = {d["check"]: d for d in caught.value.details}
    assert {"model_present", "all_marts_built"} <= set(checks)
    assert checks["all_marts_built"]["sample_keys"] == [{"missing": "detector_findings"}]
