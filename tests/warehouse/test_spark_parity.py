"""The same raw layer built on DuckDB and on Spark gives the same marts, row for row.

Marker ``spark`` (slow: a local pyspark, one JVM): ``pytest -m spark tests/warehouse``.
Skipped with the reason when Java 17 or the ``spark`` extra (dbt-spark[session]) is missing.
The comparison itself is unit-tested here without Spark.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from shared_exchange import SOURCES
from shared_exchange.config import PROJECT_ROOT, Settings, load_settings
from shared_exchange.warehouse.compare import MART_KEYS, compare_marts, count_differences
from shared_exchange.warehouse.dbt import run_dbt

log = logging.getLogger(__name__)
PERSONS, DAYS, SEED = 200, 10, 11
STRAY = ("metastore_db", "derby.log", "spark-warehouse")  # Spark's defaults in the CWD


@dataclass(frozen=True)
class Builds:
    settings: Settings
    duckdb_path: Path
    spark_export: Path
    raw_files: int
    seconds: dict[str, float]


def _raw_files(settings: Settings) -> int:
    return sum(1 for _ in settings.raw.rglob("*.parquet"))


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> Builds:
    from shared_exchange.warehouse.spark import export_marts, run_dbt_spark, spark_unavailable

    reason = spark_unavailable()
    if reason:
        pytest.skip(f"Spark parity not run: {reason}")
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.synth import generate

    settings = load_settings(tmp_path_factory.mktemp("parity") / "home")
    generate(settings, persons=PERSONS, days=DAYS, seed=SEED)
    for source in SOURCES:
        ingest_source(settings, source)
    raw_files = _raw_files(settings)
    seconds = {}
    duck = settings.warehouse / "builds" / "parity.duckdb"
    started = time.perf_counter()
    run_dbt(["build"], settings, duck)
    seconds["duckdb_build"] = time.perf_counter() - started
    started = time.perf_counter()
    run_dbt_spark(["build"], settings)  # raises DbtRunError naming any failing model or test
    seconds["spark_build"] = time.perf_counter() - started
    export = export_marts(settings, settings.warehouse / "spark" / "export")
    log.info("build seconds: %s", {k: round(v, 1) for k, v in seconds.items()})
    return Builds(settings, duck, export, raw_files, seconds)


@pytest.mark.spark
@pytest.mark.timeout(900)
def test_spark_marts_equal_duckdb_marts_row_for_row(builds):
    report = compare_marts(builds.duckdb_path, builds.spark_export)
    print(f"\n{report.summary()}\nseconds: {builds.seconds}")  # shown with -s / in CI logs
    assert report.ok, report.summary()
    assert set(report.marts) == set(MART_KEYS)
    for mart in ("person_cases", "case_events", "time_limit_checks", "detector_findings",
                 "scoreboard_monthly"):
        assert report.marts[mart].rows_compared > 0, f"{mart} is empty: nothing was compared"


@pytest.mark.spark
@pytest.mark.timeout(900)
def test_spark_marts_pass_the_mart_gates(builds):
    from shared_exchange.quality.gates import gate_layer
    from shared_exchange.warehouse.spark import load_exported_marts

    spark_db = load_exported_marts(builds.spark_export,
                                   builds.settings.warehouse / "builds" / "spark.duckdb")
    result = gate_layer(builds.settings, "marts", spark_db, run_id="spark-parity")
    assert all(r.success for r in result.results)


@pytest.mark.spark
@pytest.mark.timeout(900)
def test_spark_keeps_its_state_under_the_home(builds):
    assert _raw_files(builds.settings) == builds.raw_files, "Spark changed the raw layer"
    for folder in {Path.cwd(), PROJECT_ROOT, PROJECT_ROOT / "dbt_project"}:
        stray = [name for name in STRAY if (folder / name).exists()]
        assert not stray, f"Spark wrote {stray} into {folder}"
    spark_dir = builds.settings.warehouse / "spark"
    assert (spark_dir / "metastore" / "metastore_db").is_dir()
    assert any((spark_dir / "tables").iterdir())


# -- the comparison, without Spark --------------------------------------------------------

def _tiny_build(path: Path, rows: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create table person_cases (person_case_id varchar, link_confidence double, "
                    "filed_date date, evidence varchar)")
        con.executemany("insert into person_cases values (?, ?, ?, ?)", rows)
    return path


def test_compare_marts_matches_normalised_values_and_reports_differences(tmp_path):
    import datetime as dt

    day = dt.date(2022, 3, 1)
    base = [("a", 0.95, day, '[{"source":"court","row_id":"b/1"}]'), ("b", None, day, None)]
    left = _tiny_build(tmp_path / "left.duckdb", base)
    # same values in other spellings: float within tolerance, a midnight timestamp, JSON spacing
    same = {"person_cases": [
        {"person_case_id": "b", "link_confidence": None, "filed_date": day, "evidence": None},
        {"person_case_id": "a", "link_confidence": 0.95 + 1e-12,
         "filed_date": dt.datetime(2022, 3, 1),
         "evidence": '[{"source": "court", "row_id": "b/1"}]'},
    ]}
    assert compare_marts(left, same, marts=["person_cases"]).ok

    changed = [("a", 0.5, day, base[0][3]), ("c", None, day, None)]
    report = compare_marts(left, _tiny_build(tmp_path / "right.duckdb", changed),
                           marts=["person_cases"])
    diff = report.marts["person_cases"]
    assert not report.ok
    assert diff.mismatch_count == 1 and diff.mismatches[0][1] == "link_confidence"
    assert diff.keys_only_left == [("b",)] and diff.keys_only_right == [("c",)]
    assert diff.rows_compared == 1


def test_count_differences_counts_rows_on_one_side_only(tmp_path):
    import datetime as dt

    day = dt.date(2022, 3, 1)
    rows = [("a", 0.95, day, None), ("b", 1 / 3, day, None)]
    left = _tiny_build(tmp_path / "left.duckdb", rows)
    # 1/3 computed another way differs in the last bits only: equal at 9 decimals
    same = _tiny_build(tmp_path / "same.duckdb", [("b", 1 - 2 / 3, day, None), rows[0]])
    assert count_differences(left, same, ["person_cases"]) == {
        "person_cases": {"rows": 2, "only_left": 0, "only_right": 0}}
    changed = _tiny_build(tmp_path / "changed.duckdb",
                          [rows[0], ("b", 0.5, day, None), ("c", None, day, None)])
    assert count_differences(left, changed, ["person_cases"]) == {
        "person_cases": {"rows": 2, "only_left": 1, "only_right": 2}}


def test_compare_marts_needs_a_known_key(tmp_path):
    with pytest.raises(KeyError, match="MART_KEYS"):
        compare_marts(tmp_path, tmp_path, marts=["not_a_mart"])
    with pytest.raises(FileNotFoundError, match="export"):
        compare_marts(tmp_path, {"person_cases": []}, marts=["person_cases"])


def test_spark_run_writes_nothing_into_the_working_tree():
    # a developer's earlier local Spark run must not have left state in the repository
    assert not [n for n in STRAY if (PROJECT_ROOT / n).exists()], os.listdir(PROJECT_ROOT)
