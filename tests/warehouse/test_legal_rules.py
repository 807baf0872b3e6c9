"""The legal rules: holiday seed generator (pure Python) and the dbt unit tests of the legal
models run through the real dbt (dbt-duckdb) on an empty raw layer."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_exchange.config import Settings
from shared_exchange.ingest.writer import ensure_schema_files
from shared_exchange.warehouse import holidays
from shared_exchange.warehouse.dbt import DbtRunError, run_dbt

LEGAL_PATHS = ("models/intermediate/legal", "models/marts/legal", "models/marts/scoreboards")
UNIT_TESTS = " ".join(f"test_type:unit,path:{p}" for p in LEGAL_PATHS)
LEGAL_MODELS = " ".join(f"path:{p}" for p in LEGAL_PATHS)
SOURCES = ("police", "procuratorate", "court", "justice")


# -- holiday seed ---------------------------------------------------------------------------
def test_chinesecalendar_covers_the_seed_years():
    first, last = holidays.covered_years()
    assert first <= holidays.FIRST_YEAR and last >= holidays.LAST_YEAR


def test_seed_is_committed_and_reproducible():
    expected = holidays.render_csv(holidays.holiday_rows())
    assert holidays.SEED_PATH.read_text(encoding="utf-8") == expected
    assert holidays.render_csv(holidays.holiday_rows()) == expected
    assert holidays.main(["--check"]) == 0


def test_seed_rows_are_holidays_or_weekend_working_days():
    rows = holidays.holiday_rows()
    days = [dt.date.fromisoformat(r["date"]) for r in rows]
    assert days == sorted(set(days))
    assert days[0].year == 2020 and days[-1].year == 2026
    for day, row in zip(days, rows, strict=True):
        assert (row["is_holiday"], row["is_workday"]) in {("true", "false"), ("false", "true")}
        if row["is_workday"] == "true":  # 调休 always turns a Saturday or Sunday into a workday
            assert day.isoweekday() >= 6, day
    by_day = {r["date"]: r for r in rows}
    assert by_day["2023-10-05"]["is_holiday"] == "true"  # 国庆
    assert by_day["2023-10-07"]["is_workday"] == "true"  # Saturday 调休
    assert by_day["2026-02-17"]["name"] == "春节"


def test_seed_outside_package_coverage_is_refused():
    _, last = holidays.covered_years()
    with pytest.raises(ValueError, match="chinesecalendar covers"):
        holidays.holiday_rows(2020, last + 1)


def _working_by_seed(day: dt.date, by_day: dict[str, dict[str, str]]) -> bool:
    """The rule int_legal_calendar applies: seed exceptions, else Monday–Friday."""
    row = by_day.get(day.isoformat())
    if row is not None:
        return row["is_workday"] == "true"
    return day.isoweekday() <= 5


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 12, 31)))
def test_seed_plus_weekdays_reproduces_the_official_calendar(day):
    by_day = {r["date"]: r for r in holidays.holiday_rows()}
    assert _working_by_seed(day, by_day) == chinese_calendar.is_workday(day)


# -- dbt ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def empty_build(tmp_path_factory) -> tuple[Settings, object]:
    """A deployment whose raw layer has every table with zero rows, built up to the marts."""
    from shared_exchange.config import load_settings

    root = tmp_path_factory.mktemp("legal-home")
    s = load_settings(root)
    for source in SOURCES:
        ensure_schema_files(s, source)
    db = s.warehouse / "legal.duckdb"
    run_dbt(["build", "--select", f"+{LEGAL_MODELS.replace(' ', ' +')}", "+person_identities",
             "--resource-type", "seed", "--resource-type", "model"], s, db)
    return s, db


@pytest.mark.integration
def test_legal_unit_tests_pass_in_real_dbt(empty_build):
    s, db = empty_build
    result = run_dbt(["test", "--select", UNIT_TESTS], s, db)
    names = {r.node.name for r in result.result.results}
    assert len(names) >= 12, names
    for rule in ("art105_months_days_and_holidays", "detention_and_investigation_custody_limits",
                 "prosecution_review_clock_restarts_and_speedy_limits",
                 "supplementary_investigations_third_return_flagged", "trial_limits_by_procedure",
                 "detector_thresholds_n_and_n_plus_one",
                 "time_limit_breach_at_deadline_and_day_after",
                 "scoreboard_rates_ranks_and_suppression"):
        assert rule in names


@pytest.mark.integration
def test_dedup_and_linking_unit_tests_pass_in_real_dbt(empty_build):
    """Staging's newest-version rule (a full build and a daily merge), the linking tiers and
    which persons a daily build recomputes."""
    s, db = empty_build
    result = run_dbt(["test", "--select", "test_type:unit,path:models/staging",
                      "test_type:unit,path:models/intermediate/identity",
                      "test_type:unit,path:models/marts/core"], s, db)
    names = {r.node.name for r in result.result.results}
    assert {"cases_keep_newest_version_whatever_the_delivery_order",
            "cases_merge_new_batches_with_the_current_rows",
            "person_identities_recomputes_only_the_persons_that_changed"} <= names, names


@pytest.mark.integration
def test_unit_tests_fail_when_a_limit_is_wrong(empty_build):
    """The vars are wired: a wrong detention limit (4 days) fails the detention rule test."""
    s, db = empty_build
    with pytest.raises(DbtRunError, match="detention_and_investigation_custody_limits"):
        run_dbt(["test", "--select", "detention_and_investigation_custody_limits",
                 "--vars", "{cpl_91_detention_days: 4}"], s, db)


@pytest.mark.integration
def test_legal_data_tests_pass_on_the_empty_build(empty_build):
    """Singular tests of tests/legal (the calendar's known days hold without any case data)."""
    s, db = empty_build
    result = run_dbt(["test", "--select", "path:tests/legal"], s, db)
    assert {r.node.name for r in result.result.results} >= {"assert_calendar_known_days"}


@pytest.mark.integration
def test_calendar_model_matches_chinesecalendar(empty_build):
    _, db = empty_build
    con = duckdb.connect(str(db))  # dbt may still hold it open: same (read-write) config
    try:
        rows = con.execute("""
            select calendar_date, is_working_day from intermediate.int_legal_calendar
            where calendar_date between date '2020-01-01' and date '2026-12-31'""").fetchall()
    finally:
        con.close()
    assert len(rows) == (dt.date(2026, 12, 31) - dt.date(2020, 1, 1)).days + 1
    wrong = [d for d, working in rows if working != chinese_calendar.is_workday(d)]
    assert wrong == []
