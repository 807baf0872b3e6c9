"""The DAG files parse cleanly, fast, and carry the operational settings a scheduler relies on."""

from __future__ import annotations

import time

import pytest

from shared_exchange import SOURCES
from shared_exchange.orchestration.airflow_env import dags_folder

pytest.importorskip("airflow")


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(dags_folder()))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    expected = {f"ingest_{s}" for s in SOURCES} | {"build_warehouse", "security_report"}
    assert expected <= set(dagbag.dag_ids)


def test_every_dag_has_tags_docs_and_retries(dagbag):
    for dag in dagbag.dags.values():
        assert dag.tags, f"{dag.dag_id} has no tags"
        assert dag.doc_md and "Purpose" in dag.doc_md and "PII" in dag.doc_md, dag.dag_id
        assert not dag.catchup, dag.dag_id
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag.dag_id}.{task.task_id} has no retries"
            assert task.on_failure_callback, f"{dag.dag_id}.{task.task_id} raises no alert"


def test_ingestion_emits_one_asset_per_source_and_the_build_waits_for_them(dagbag):
    for source in SOURCES:
        gate = dagbag.dags[f"ingest_{source}"].get_task("gate_raw")
        assert [a.name for a in gate.outlets] == [f"raw_{source}"]
    build = dagbag.dags["build_warehouse"]
    assert type(build.timetable).__name__ == "AssetTriggeredTimetable"
    order = build.topological_sort()
    ids = [t.task_id for t in order]
    # a gate sits after each layer, and publication comes last
    assert ids.index("gate_staging") < ids.index("core") < ids.index("legal")
    assert ids.index("gate_marts") < ids.index("publish")
    # the next run's copy is made once the marts are served
    assert ids[-2:] == ["publish", "prepare_next_build"]
    assert build.get_task("prepare_next_build").upstream_task_ids == {"publish"}


def test_parsing_each_dag_file_is_well_under_a_second(dagbag):
    slow = {s.file: s.duration.total_seconds() for s in dagbag.dagbag_stats}
    assert slow and max(slow.values()) < 1.0, slow


def test_parse_time_without_warm_imports():
    """A fresh interpreter parses the whole folder in well under a second per file."""
    import subprocess
    import sys

    code = (
        "import time,sys;from airflow.dag_processing.dagbag import DagBag;"
        f"t=time.perf_counter();b=DagBag(dag_folder={str(dags_folder())!r});"
        "print(max(s.duration.total_seconds() for s in b.dagbag_stats), len(b.dags))"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    worst, count = out.stdout.split()[-2:]
    assert int(count) >= 6
    elapsed = time.perf_counter() - started
    assert float(worst) < 1.0, f"slowest DAG file took {worst}s (whole check {elapsed:.1f}s)"
