"""Ingestion throughput (parse, validate, protect, write) per department; sequential vs parallel.

Run: ``PYTHONPATH=src .venv/bin/python bench/bench_ingest.py [persons] [days]``. It prints
rows/s per department, the share of time spent in encryption and tokenisation, and the
wall time of one process per department running in parallel (as the four Airflow DAGs
do). The landing zone comes from ``prepared.prepare`` (generated once per size and cached);
every measured pass loads all of it into a fresh home with no raw layer, ledger or keys.
A benchmark prints numbers; it never fails.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import sys
import time
from typing import Any

import prepared

from shared_exchange import SOURCES
from shared_exchange.config import Settings, load_settings
from shared_exchange.ingest import load
from shared_exchange.ingest.protect import CryptoTimer


def _reset(settings: Settings) -> None:
    """Forget every output and key so each measured run starts from the same state."""
    for folder in (settings.raw, settings.quarantine, settings.ledger, settings.keys):
        shutil.rmtree(folder, ignore_errors=True)


def _ingest(home: str, source: str) -> dict[str, Any]:
    settings = load_settings(home)
    started = time.perf_counter()
    protector = load.protector_for(settings)  # opening the keyring is part of the work
    protector.timer = CryptoTimer()
    load.STAGE_SECONDS.clear()
    results = load.ingest_source(settings, source)
    seconds = time.perf_counter() - started
    return {
        "source": source, "seconds": seconds, "batches": len(results),
        "rows": sum(r.delivered for r in results),
        "encrypt": protector.timer.encrypt, "tokenise": protector.timer.tokenise,
        "stages": dict(load.STAGE_SECONDS),
    }


def run(persons: int, days: int = 30, processes: int = 4, seed: int = 1) -> dict[str, Any]:
    """Measure one sequential pass and one parallel pass (one process per department)."""
    landing = prepared.prepare(persons, days, seed)
    home = prepared.working_home(landing, "ingest")
    try:
        settings = load_settings(home)
        _reset(settings)  # the landing entry holds no outputs; make sure of it
        ctx = mp.get_context("spawn")  # a fresh interpreter per department, like Airflow
        with ctx.Pool(1) as pool:  # same process start-up cost as the parallel pass
            started = time.perf_counter()
            sequential = [pool.apply(_ingest, (str(home), s)) for s in SOURCES]
            sequential_wall = time.perf_counter() - started
        _reset(settings)
        with ctx.Pool(processes) as pool:
            started = time.perf_counter()
            parallel = pool.starmap(_ingest, [(str(home), s) for s in SOURCES])
            parallel_wall = time.perf_counter() - started
    finally:
        prepared.remove_home(home)
    return {"persons": persons, "days": days, "data": f"prepared landing zone {landing.name}",
            "prepared": prepared.report(),
            "sequential": sequential, "sequential_wall": sequential_wall,
            "parallel": parallel, "parallel_wall": parallel_wall, "processes": processes}


def _table(result: dict[str, Any]) -> str:
    prep = result["prepared"]
    lines = [f"persons={result['persons']} days={result['days']} data={result['data']} "
             f"(preparation {prep['prepare_s']:.1f}s, cache {'hit' if prep['hit'] else 'miss'})",
             f"{'department':<14}{'rows':>9}{'seconds':>9}{'rows/s':>9}{'crypto %':>10}"
             f"  parse/validate/protect/write s"]
    for r in result["sequential"]:
        crypto = (r["encrypt"] + r["tokenise"]) / r["seconds"] * 100 if r["seconds"] else 0
        st = r["stages"]
        lines.append(f"{r['source']:<14}{r['rows']:>9}{r['seconds']:>9.2f}"
                     f"{r['rows'] / r['seconds'] if r['seconds'] else 0:>9.0f}{crypto:>9.1f}%"
                     f"  {st.get('parse', 0):.2f}/{st.get('validate', 0):.2f}/"
                     f"{st.get('protect', 0):.2f}/{st.get('write', 0):.2f}")
    rows = sum(r["rows"] for r in result["sequential"])
    lines.append(f"sequential: {rows} rows in {result['sequential_wall']:.1f}s "
                 f"({rows / result['sequential_wall']:.0f} rows/s)")
    lines.append(f"parallel ({result['processes']} processes): {result['parallel_wall']:.1f}s "
                 f"({rows / result['parallel_wall']:.0f} rows/s); slowest department "
                 f"{max(r['seconds'] for r in result['parallel']):.1f}s")
    return "\n".join(lines)


if __name__ == "__main__":
    persons = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    print(_table(run(persons, days)))  # noqa: T201 - a benchmark's output is its table
