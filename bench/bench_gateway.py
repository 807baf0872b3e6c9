"""Gateway overhead per query: parse + policy + rewrite, versus running the query directly.

On the real published warehouse (``prepared.built``: the synthetic departments ingested
through the second-to-last business day and fully built with bench_build's ``DBT_BUILD``,
cached per size), each query runs directly on a read-only connection to the published build
and through the gateway (project catalog and role policy, as deployed), interleaved. Reported per
query set: p50/p95 of the planning overhead (parse, checks, policy, secure-view rewrite),
of the direct run, and of the whole gateway call (planning + run of the rewritten SQL +
audit append with fsync); the ratios are gateway/direct. Target: overhead < 5 ms at p95.
The overhead is also given in thread CPU time, which a busy shared machine does not inflate.

    cd /work/main && PYTHONPATH=src .venv/bin/python bench/bench_gateway.py [persons] [days] \
        [rounds]
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import prepared
from bench_build import DBT_BUILD

from shared_exchange.config import load_settings
from shared_exchange.quality.publish import current_path
from shared_exchange.security.gateway import Gateway, connect_read_only
from shared_exchange.security.sql_guard import parse_read_query

# An analyst's mix on the published marts: aggregate, masked column, join through a CTE to
# the masked identities, join of the two largest marts, a scoreboard slice.
QUERIES = [
    "SELECT county_code, count(*) AS n FROM person_cases GROUP BY county_code ORDER BY n DESC",
    "SELECT prosecution_conclusion, birth_year, count(*) FROM person_cases WHERE filed_date >= "
    "DATE '2022-03-15' GROUP BY ALL",
    "WITH recent AS (SELECT person_token, charge FROM person_cases WHERE filed_date > "
    "DATE '2022-03-10') SELECT i.name_masked, i.id_number_masked, r.charge FROM recent r JOIN "
    "person_identities i USING (person_token) LIMIT 50",
    "SELECT e.event_type, count(DISTINCT c.person_token) FROM case_events e JOIN person_cases c "
    "USING (person_case_id) GROUP BY e.event_type",
    "SELECT * FROM scoreboard_daily WHERE region_code LIKE '3301%' ORDER BY period_start",
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(persons: int = 2000, days: int = 30, rounds: int = 40, seed: int = 1) -> dict:
    """Measure and return the numbers (milliseconds); prints nothing."""
    snapshot = prepared.built(persons, max(days, 2), seed, DBT_BUILD)
    # the gateway only reads the published build: hardlink it; the audit log is a copy
    home = prepared.working_home(snapshot, "gateway", read_only=("warehouse/builds",))
    try:
        settings = load_settings(home)
        gateway = Gateway(settings)
        direct = connect_read_only(current_path(settings), settings.duckdb_memory_limit)
        kw = {"role": "analyst", "purpose": "benchmark", "region": None, "privileges": ()}
        plan_ms, plan_cpu_ms, direct_ms, total_ms = [], [], [], []
        for sql in QUERIES:  # warm caches (sqlglot, DuckDB) before timing
            gateway.query(sql, actor="bench", **kw)
            direct.execute(sql).fetchall()
        for _ in range(rounds):
            for sql in QUERIES:
                start, cpu = time.perf_counter(), time.thread_time()
                gateway._plan(parse_read_query(sql), **kw)  # noqa: SLF001 - what we measure
                plan_ms.append((time.perf_counter() - start) * 1e3)
                plan_cpu_ms.append((time.thread_time() - cpu) * 1e3)
                start = time.perf_counter()
                direct.execute(sql).fetchmany(1001)
                direct_ms.append((time.perf_counter() - start) * 1e3)
                start = time.perf_counter()
                gateway.query(sql, actor="bench", **kw)
                total_ms.append((time.perf_counter() - start) * 1e3)
        direct.close()
        gateway.close()
    finally:
        prepared.remove_home(home)
    p50d = statistics.median(direct_ms)
    return {
        "persons": persons, "days": max(days, 2), "queries": len(QUERIES), "rounds": rounds,
        "warehouse": "published build of prepared.built (days 1..N-1, dbt "
                     f"{' '.join(DBT_BUILD)})", "prepared": prepared.report(),
        "overhead_ms_p50": round(statistics.median(plan_ms), 3),
        "overhead_ms_p95": round(_pct(plan_ms, 0.95), 3),
        "overhead_cpu_ms_p50": round(statistics.median(plan_cpu_ms), 3),
        "overhead_cpu_ms_p95": round(_pct(plan_cpu_ms, 0.95), 3),
        "direct_ms_p50": round(p50d, 3),
        "direct_ms_p95": round(_pct(direct_ms, 0.95), 3),
        "gateway_total_ms_p50": round(statistics.median(total_ms), 3),
        "gateway_total_ms_p95": round(_pct(total_ms, 0.95), 3),
        "overhead_ratio_p50": round(statistics.median(plan_ms) / p50d, 2),
        "total_ratio_p50": round(statistics.median(total_ms) / p50d, 2),
        "target_overhead_ms_p95": 5.0,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    sys.stdout.write(json.dumps(run(*args), indent=2) + "\n")
