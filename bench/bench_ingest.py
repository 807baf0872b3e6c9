"""Ingestion throughput (parse, validate, protect, write) per department; sequential vs parallel.

Run: ``PYTHONPATH=src .venv/bin/python bench/bench_ingest.py [persons] [days]``. It prints
rows/s per department, the share of time spent in encryption and tokenisation, and the
wall time of one process per department running in parallel (as the four Airflow DAGs
do). Data comes from ``shared_exchange.synth.generate`` when it exists, else from the
test builders (``tests/ingest/builders.py``). A benchmark prints numbers; it never fails.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from shared_exchange import SOURCES
from shared_exchange.config import Settings, load_settings
from shared_exchange.ingest import load
from shared_exchange.ingest.protect import CryptoTimer

ROOT = Path(__file__).resolve().parents[1]


def _generate(settings: Settings, persons: int, days: int) -> str:
    try:
        from shared_exchange.synth import generate  # written by the synth engineer
    except ImportError:
        generate = None
    if generate is not None:
        generate(settings.home, persons=persons, days=days, seed=1)
        return "shared_exchange.synth.generate"
    sys.path.insert(0, str(ROOT / "tests" / "ingest"))
    from builders import FILES, Synth, write_batch

    synth = Synth(seed=1)
    per_day = max(1, persons // days)
    for day in range(days):
        business_date = dt.date(2022, 3, 1) + dt.timedelta(days=day)
        for source, build in FILES.items():
            write_batch(settings.landing, source, business_date,
                        f"{source}-{business_date:%Y%m%d}-01", build(synth, per_day))
        synth.people.clear()
    return "tests/ingest/builders.py"


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


def run(persons: int, days: int = 10, processes: int = 4) -> dict[str, Any]:
    """Measure one sequential pass and one parallel pass (one process per department)."""
    home = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        settings = load_settings(home)
        t0 = time.perf_counter()
        origin = _generate(settings, persons, days)
        generated = time.perf_counter() - t0
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
        shutil.rmtree(home, ignore_errors=True)
    return {"persons": persons, "days": days, "data": origin, "generate_seconds": generated,
            "sequential": sequential, "sequential_wall": sequential_wall,
            "parallel": parallel, "parallel_wall": parallel_wall, "processes": processes}


def _table(result: dict[str, Any]) -> str:
    lines = [f"persons={result['persons']} days={result['days']} data={result['data']} "
             f"(generated in {result['generate_seconds']:.1f}s)",
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
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    print(_table(run(persons, days)))  # noqa: T201 - a benchmark's output is its table
