"""Warehouse build cost: a full dbt build versus the next day's incremental build (a ratio).

    cd /work/main && PYTHONPATH=src .venv/bin/python bench/bench_build.py [persons] [days]

It starts from ``prepared.ingested``: synthetic departments for ``days`` business days with
every batch but the last day's already ingested (generated and ingested once per size and
cached). On a fresh copy of that home it builds from an empty warehouse (the full build:
start_build, dbt build, publish). Then the last day's batches are ingested and the next
build starts from the published one, as the build DAG does each morning (the incremental
build). The ratio is incremental / full: what one day costs relative to rebuilding
everything. Ingesting the last day is timed apart and not in either build. The full build
is handed to the cache (``prepared.deposit_built``) for the gateway benchmark. Last, the same
data is rebuilt with --full-refresh: the daily build's marts must equal it row for row
(``differences_vs_rebuild``, counted in DuckDB), and ``ratio_incremental_to_rebuild`` sets
the daily build against a full build of the very same data, and ``daily_against_truth``
scores the daily build's findings, breaches and links against the generator's ground truth.
A benchmark prints numbers; it never fails.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import prepared

from shared_exchange import SOURCES
from shared_exchange.config import Settings, load_settings
from shared_exchange.warehouse.compare import count_differences
from shared_exchange.warehouse.dbt import BUILD

log = logging.getLogger("bench_build")
# seeds, then every model and data test in dependency order: what the build DAG runs (a
# build from an unchanged base leaves the seeds out: warehouse.dbt.build_command)
DBT_BUILD = list(BUILD)


def _ingest(settings: Settings, up_to: dt.date | None) -> tuple[int, float]:
    from shared_exchange.ingest.load import ingest_source

    started = time.perf_counter()
    rows = sum(r.delivered for s in SOURCES for r in ingest_source(settings, s, up_to=up_to))
    return rows, time.perf_counter() - started


def _model_seconds(settings: Settings) -> dict[str, float]:
    """Seconds per model of the last dbt invocation (dbt's run_results), largest first: where
    a build's time goes, and which models a daily build still recomputes in full."""
    results = json.loads((settings.warehouse / "dbt" / "target" / "run_results.json")
                         .read_text(encoding="utf-8"))["results"]
    models = {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results
              if r["unique_id"].startswith("model.")}
    return dict(sorted(models.items(), key=lambda kv: -kv[1]))


def _build(settings: Settings, run_id: str,
           spare: bool = True) -> tuple[dict[str, float], dict[str, int], Path]:
    """start_build → dbt build → publish (gates are bench_gates' business), then the spare;
    seconds per step and in total, rows, the build file."""
    import duckdb

    steps, path = prepared.build_and_publish(settings, run_id, DBT_BUILD, spare)
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = {m: con.execute(f"select count(*) from {m}").fetchone()[0]
                for m in ("person_cases", "case_events", "time_limit_checks")}
    finally:
        con.close()
    return steps, rows, path


def _against_truth(settings: Settings, db: Path) -> dict[str, Any]:
    """The daily build (every day delivered) against the generator's ground truth: precision
    and recall of findings and breaches, overall and on clean keys (with the codes below
    1.0), and of links per department. The demo is small; repeat offenders, name
    collisions and stale re-deliveries are common only at these sizes."""
    from shared_exchange.warehouse.scoring import score_linking
    from shared_exchange.warehouse.truth_scoring import score_detectors

    detectors = score_detectors(settings, db)
    clean = detectors["clean_keys"]
    return {
        "findings": detectors["findings"]["overall"],
        "breaches": detectors["breaches"]["overall"],
        "clean_findings": clean["findings"], "clean_breaches": clean["breaches"],
        "clean_below_1": {code: m for group in ("per_detector", "per_stage")
                          for code, m in clean[group].items()
                          if m["precision"] < 1 or m["recall"] < 1},
        "links": {department: {k: s[k] for k in ("true", "predicted", "correct",
                                                 "precision", "recall")}
                  for department, s in score_linking(settings, db)["departments"].items()},
    }


def _rebuild(settings: Settings) -> tuple[float, Path]:
    """A full rebuild (--full-refresh) of the same data as the daily build, in its own file:
    what the daily build must equal, row for row."""
    from shared_exchange.warehouse.dbt import run_dbt

    path = settings.warehouse / "builds" / "bench_rebuild.duckdb"
    started = time.perf_counter()
    run_dbt([*DBT_BUILD, "--full-refresh"], settings, path)
    return time.perf_counter() - started, path


def run(persons: int, days: int = 30, seed: int = 1) -> dict[str, Any]:
    """Full build of days 1..N-1, then the incremental build after day N; seconds and ratio."""
    days = max(days, 2)
    snapshot = prepared.ingested(persons, days, seed)
    facts = prepared.facts(snapshot)
    home = prepared.working_home(snapshot, "build")
    try:
        settings = load_settings(home)
        full_steps, full_rows, _ = _build(settings, "bench_full", spare=False)
        full_s = full_steps["total_s"]
        full_models = _model_seconds(settings)
        # before the spare: the cache hardlinks the builds, and the daily build writes the spare
        deposited = prepared.deposit_built(home, persons, days, seed, DBT_BUILD, full_s)
        full_steps["spare_s"] = prepared.make_spare(settings)
        rows_day, ingest_day_s = _ingest(settings, None)
        incremental_steps, inc_rows, daily_path = _build(settings, "bench_incremental")
        incremental_s = incremental_steps["total_s"]
        incremental_models = _model_seconds(settings)
        truth = _against_truth(settings, daily_path)
        rebuild_s, rebuild_path = _rebuild(settings)
        differences = count_differences(daily_path, rebuild_path,
                                        memory_limit=settings.duckdb_memory_limit)
    finally:
        prepared.remove_home(home)
    return {
        "persons": persons, "person_cases": facts["person_cases"], "days": days,
        "prepared": prepared.report(), "dbt_args": DBT_BUILD,
        "ingested_through": facts["ingested_through"],
        "ingested_rows_full": facts["ingested_rows"],
        "ingested_rows_last_day": rows_day, "ingest_last_day_s": round(ingest_day_s, 2),
        "full_build_s": round(full_s, 2), "incremental_build_s": round(incremental_s, 2),
        "ratio_incremental_to_full": round(incremental_s / full_s, 3),
        # the same with the copy each build makes for the next one after publishing
        "ratio_with_spare_copies": round(
            (incremental_s + incremental_steps["spare_s"]) / (full_s + full_steps["spare_s"]), 3),
        # start_build (renames the spare), dbt, publish; then the spare for the next build
        "steps_s": {"full": {k: round(v, 2) for k, v in full_steps.items()},
                    "incremental": {k: round(v, 2) for k, v in incremental_steps.items()}},
        "rows_after_full": full_rows, "rows_after_incremental": inc_rows,
        # the daily build against a full rebuild of the same data: rows on one side only
        "rebuild_s": round(rebuild_s, 2),
        "ratio_incremental_to_rebuild": round(incremental_s / rebuild_s, 3),
        "daily_equals_rebuild": all(d["only_left"] == d["only_right"] == 0
                                    for d in differences.values()),
        "differences_vs_rebuild": differences,
        "full_build_deposited_for_gateway": deposited,
        "daily_against_truth": truth,
        "model_seconds": {"full": full_models, "incremental": incremental_models},
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    sys.stdout.write(json.dumps(run(n, d), indent=2) + "\n")
