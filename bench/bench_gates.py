"""Gate overhead: the warehouse build with and without the GX gates, as a ratio (never pass/fail).

    .venv/bin/python bench/bench_gates.py --persons 100000 --days 30

Starts from ``prepared.ingested`` (synthetic departments generated and ingested through the
second-to-last business day once per size and cached), on a fresh copy of that home: runs the
dbt build (seed, staging, then everything after staging) into a fresh version, then every
gate the DAGs run (raw per department over every ingested batch, staging + completeness,
marts) on the same data. Ingestion is not measured here (bench_ingest does that). The gated
build costs the build plus the gates, so ``ratio = (dbt build + gates) / dbt build``.
Standalone runs write bench/results/bench_gates_<persons>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import prepared

from shared_exchange.config import Settings, load_settings

log = logging.getLogger("bench_gates")
RESULTS = Path(__file__).with_name("results")


# Peak RSS of each step on its own: the kernel's high-water mark (VmHWM) is reset before the
# step (Linux: "5" > /proc/self/clear_refs), so a gate's peak is not hidden by the build's.
STEP_PEAK_RSS_MB: dict[str, int] = {}


def _reset_peak_rss() -> None:
    # not Linux or not allowed: the step's number is then the process's peak so far
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> int | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) // 1024 if line else None


def _timed(timings: dict[str, float], name: str, fn, *args, **kwargs):
    _reset_peak_rss()
    started = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        timings[name] = round(time.perf_counter() - started, 2)
        peak = _peak_rss_mb()
        if peak is not None:
            STEP_PEAK_RSS_MB[name] = peak
        log.info("%s: %.1fs, peak RSS %s MB", name, timings[name], peak)


def run(persons: int, days: int = 30, seed: int = 1) -> dict[str, Any]:
    """Build once, gate once; return the timings and the gate overhead ratios."""
    snapshot = prepared.ingested(persons, days, seed)
    home = prepared.working_home(snapshot, "gates")
    try:
        return _measure(load_settings(home), persons, days)
    finally:
        prepared.remove_home(home)


def _measure(settings: Settings, persons: int, days: int) -> dict[str, Any]:
    from shared_exchange.ingest.ledger import entries
    from shared_exchange.quality import gates
    from shared_exchange.quality import publish as pub
    from shared_exchange.quality.freshness import DEPARTMENTS
    from shared_exchange.warehouse import dbt as warehouse_dbt

    # what the DAGs' dbt tasks run per layer (unit tests are CI's business, not the build's)
    layer_build = list(getattr(warehouse_dbt, "BUILD", ("build",)))
    t: dict[str, float] = {}
    # paid once per process (each Airflow gate task pays it): reported, not in the ratio
    _timed(t, "gx_import", __import__, "great_expectations")
    batches = {source: [e["batch_id"] for e in entries(settings, source)
                        if e.get("status") == "loaded"] for source in DEPARTMENTS}
    raw_rows = sum(int(e.get("loaded") or 0) for source in DEPARTMENTS
                   for e in entries(settings, source) if e.get("status") == "loaded")

    build = pub.start_build(settings, f"bench_{persons}")
    # intermediate models read marts/core, so everything after staging is one dbt build
    for step, args in (("seed", ["seed"]), ("staging", [*layer_build, "--select", "staging"]),
                       ("after_staging", [*layer_build, "--exclude", "staging"])):
        _timed(t, f"dbt_{step}", warehouse_dbt.run_dbt, args, settings, build.path)

    run_id = f"bench_{persons}"
    failed: list[str] = []

    def gate(fn, *args, **kwargs) -> None:
        # the overhead is what we measure: a failing gate costs the same, so note and go on
        try:
            fn(*args, **kwargs)
        except gates.GateFailed as exc:
            failed.extend(f"{d['dataset']}:{d['check']}" for d in exc.details)

    for source, ids in batches.items():
        _timed(t, f"gate_raw_{source}", gate, gates.gate_raw, settings, source, ids,
               run_id=run_id)
    _timed(t, "gate_staging", gate, gates.gate_layer, settings, "staging", build.path, run_id)
    _timed(t, "gate_marts", gate, gates.gate_layer, settings, "marts", build.path, run_id)
    if not failed:
        _timed(t, "publish", pub.publish, settings, build)

    dbt = sum(v for k, v in t.items() if k.startswith("dbt_"))
    raw_gates = sum(v for k, v in t.items() if k.startswith("gate_raw_"))
    layer_gates = t["gate_staging"] + t["gate_marts"]
    con = __import__("duckdb").connect(str(build.path), read_only=True)
    rows = {m: con.execute(f"select count(*) from {m}").fetchone()[0]
            for m in ("person_cases", "case_events", "time_limit_checks")}
    con.close()
    return {
        "persons": persons, "days": days, "rows": rows, "timings_s": t,
        "dbt_args_per_layer": layer_build,
        "prepared": prepared.report(),
        "failed_checks": sorted(set(failed)),
        "note": "from the prepared ingested snapshot (days 1..N-1); ingestion is not timed "
                "here. gx_import_s is paid once per gate process (each Airflow task); not in "
                "ratios",
        "peak_rss_mb_per_step": dict(STEP_PEAK_RSS_MB),
        "build_without_gates_s": round(dbt, 2),
        "gates_s": round(raw_gates + layer_gates, 2),
        "ratio_gated_to_ungated": round((dbt + raw_gates + layer_gates) / dbt, 3),
        "ratio_warehouse_gates_to_dbt": round((dbt + layer_gates) / dbt, 3),
        "raw_gates_rows": raw_rows,
        "raw_gates_rows_per_s": round(raw_rows / raw_gates) if raw_gates else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    result = run(args.persons, args.days, args.seed)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_gates_{args.persons}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
