"""Where one daily build's time goes: a profiling tool, not a benchmark row.

    PYTHONPATH=src:bench .venv/bin/python bench/profile_daily.py 1000000 [--no-data] [dbt args]

From the cached full build (``prepared.built``, made if missing) it ingests the last day
(skipped with ``--no-data``: the floor, a day with nothing new), warms dbt's parse, then
makes the spare (the copy the previous build's last task makes), then times the build's
three steps (start, which renames the spare; dbt; publish) and prints the
models and tests dbt reports and the slowest SQL statements of its log. A warm parse is
what a daily build sees in production, where the previous build left it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import bench_build
import prepared

from shared_exchange.config import load_settings
from shared_exchange.quality import publish as pub
from shared_exchange.warehouse.dbt import run_dbt


def slowest_statements(log: Path, top: int = 15) -> list[tuple[float, str, str]]:
    """(seconds, node, first words) of the slowest statements of the last dbt invocation.
    dbt runs nodes on several threads: a statement's "On <node>:" record and its "SQL status"
    record are matched by the thread each log record names, not by their order."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    lines = lines[max(i for i, line in enumerate(lines) if "Running with dbt=" in line):]
    pending: dict[str, tuple[str, str]] = {}  # thread → (node, SQL) of its last statement
    found, record, thread = [], "", ""
    for line in [*lines, "\x1b[0m00:00:00.000000 [end] [end]: end"]:
        head = re.match(r"\S*\d\d:\d\d:\d\d\.\d+ \[\w+ *\] \[([^\]]+)\]: (.*)", line)
        if not head:
            record += " " + line.strip() if not line.lstrip().startswith("--") else ""
            continue
        on = re.match(r"On [\w.]+\.shared_exchange\.(\w+): (.*)", record)
        status = re.match(r"SQL status: \S+ in ([0-9.]+) seconds", record)
        if on:
            pending[thread] = (on.group(1), on.group(2))
        elif status and thread in pending:
            node, sql = pending.pop(thread)
            sql = re.sub(r"/\*.*?\*/", "", sql).strip()  # dbt's query comment
            found.append((float(status.group(1)), node, sql[:90]))
        thread, record = head.group(1), head.group(2)
    return sorted(found, reverse=True)[:top]


def main(argv: list[str]) -> None:
    persons = int(argv[0])
    no_data = "--no-data" in argv
    extra = [a for a in argv[1:] if a != "--no-data"]
    home = prepared.working_home(prepared.built(persons, 120, 1, bench_build.DBT_BUILD), "prof")
    try:
        settings = load_settings(home)
        ingested = 0 if no_data else bench_build._ingest(settings, None)[0]
        run_dbt(["parse"], settings, pub.current_path(settings))
        spare_s = prepared.make_spare(settings)  # as the previous build's last task did
        steps, _ = prepared.build_and_publish(settings, "profile_daily",
                                              [*bench_build.DBT_BUILD, *extra], spare=False)
        steps["spare_s"] = spare_s
        target = settings.warehouse / "dbt"
        results = json.loads((target / "target" / "run_results.json").read_text())
        times = {r["unique_id"]: r["execution_time"] for r in results["results"]}
        report = {
            "persons": persons, "rows_ingested": ingested,
            **{k: round(v, 2) for k, v in steps.items()},
            "models_s": round(sum(v for k, v in times.items() if k.startswith("model.")), 2),
            "tests_s": round(sum(v for k, v in times.items() if k.startswith("test.")), 2),
            "slowest_models": dict(list(bench_build._model_seconds(settings).items())[:15]),
            "slowest_tests": dict(sorted(((k.split(".")[2], round(v, 2))
                                          for k, v in times.items() if k.startswith("test.")),
                                         key=lambda kv: -kv[1])[:10]),
            "slowest_statements": slowest_statements(target / "logs" / "dbt.log"),
        }
        sys.stdout.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    finally:
        prepared.remove_home(home)


if __name__ == "__main__":
    main(sys.argv[1:])
