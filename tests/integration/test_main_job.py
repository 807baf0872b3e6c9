"""The main job end to end through real Airflow: synth → four ingestion DAGs → build DAG → publish.

One run on small data proves what the pieces' own tests cannot: the DAGs really run in
Airflow (parallel, SQLite metadata), counts reconcile from manifest to ledger, the build
passes every gate and publishes, and nothing under the home outside the landing zone —
warehouse, raw layer, logs, Airflow logs and XCom, dbt artefacts, Data Docs — holds a clear
ID number, phone or name of any generated person.
"""

from __future__ import annotations

import json
import sqlite3

import duckdb
import pytest

from shared_exchange import SOURCES
from shared_exchange.config import load_settings
from shared_exchange.orchestration.runner import run_pipeline
from shared_exchange.reports.leak_scan import scan_for_leaks
from shared_exchange.reports.needles import needles_from_landing
from shared_exchange.synth import generate
from shared_exchange.warehouse.truth_scoring import score_detectors

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]
MARTS = ("person_cases", "case_events", "time_limit_checks", "detector_findings",
         "scoreboard_daily", "scoreboard_monthly", "scoreboard_quarterly")


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    settings = load_settings(tmp_path_factory.mktemp("main-job") / "home")
    generate(settings, persons=120, days=5, seed=11)
    run = run_pipeline(settings)
    logs = "\n".join(f"{r.dag_id}: rc={r.returncode} {r.log_path}" for r in run.dag_runs)
    assert run.ok, f"pipeline failed:\n{logs}"
    return settings, run


def test_every_dag_ran_in_airflow_and_succeeded(main_job):
    settings, run = main_job
    assert {r.dag_id for r in run.dag_runs} == {f"ingest_{s}" for s in SOURCES} | {
        "build_warehouse"}
    with sqlite3.connect(settings.airflow_home / "airflow.db") as db:
        states = dict(db.execute("select dag_id, state from dag_run"))
    assert all(states.get(r.dag_id) == "success" for r in run.dag_runs), states


def test_counts_reconcile_from_manifest_to_ledger(main_job):
    settings, _ = main_job
    for manifest in settings.landing.glob("*/*/*/manifest.json"):
        delivered = sum(f["records"] for f in json.loads(manifest.read_text())["files"])
        source = manifest.parts[-4]
        batch_id = manifest.parent.name
        entry = json.loads((settings.ledger / source / f"{batch_id}.json").read_text())
        assert entry["delivered"] == delivered, batch_id
        assert entry["delivered"] == entry["loaded"] + entry["quarantined"], batch_id


def test_published_warehouse_has_every_mart(main_job):
    settings, _ = main_job
    assert settings.published_db.is_symlink()
    with duckdb.connect(str(settings.published_db), read_only=True) as db:
        counts = {m: db.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS}
    assert counts["person_cases"] > 0 and counts["case_events"] > 0, counts
    assert counts["time_limit_checks"] > 0 and counts["scoreboard_daily"] > 0, counts


def test_published_marts_find_every_injected_problem_and_nothing_else(main_job):
    """The detectors' target against the generator's truth: 1.0 on clean keys."""
    settings, _ = main_job
    report = score_detectors(settings, settings.published_db)
    clean = report["clean_keys"]
    assert clean["findings"]["expected"] > 0 and clean["breaches"]["expected"] > 0, report
    for scope in (clean["findings"], clean["breaches"]):
        assert scope["precision"] == scope["recall"] == 1.0, report


def test_no_clear_pii_anywhere_outside_the_landing_zone(main_job):
    settings, _ = main_job
    needles = needles_from_landing(settings)
    report = scan_for_leaks(settings, needles=needles)
    assert report.files_scanned > 50, "the scan must cover the home"
    assert report.clean, [f"{f.file} {f.location} {f.kind}" for f in report.findings[:10]]
