"""Builders for the project's DAGs; each file in dags/ calls one of them (thin DAG files).

Only airflow.sdk and this package's light modules are imported here: no database,
network or heavy import at parse time (tests/dags checks the parse time).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, dag, task

from shared_exchange import SOURCES
from shared_exchange.orchestration import tasks

START = pendulum.datetime(2022, 3, 1, tz="Asia/Shanghai")
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "shared-exchange",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "on_failure_callback": tasks.alert_on_failure,
}


def raw_asset(source: str) -> Asset:
    """The Asset a department's ingestion emits once its raw batches pass the raw gate."""
    return Asset(name=f"raw_{source}", uri=f"shared-exchange://raw/{source}", group="raw")


# the as-of date first: the identity layer's name weights stand for its month
CORE_LAYER = ("path:models/intermediate/delivery", "path:models/intermediate/identity",
              "path:models/marts/core")
# the build scope first: the legal models recompute only the person-cases it names
LEGAL_LAYER = ("path:models/intermediate/scope", "path:models/intermediate/legal",
               "path:models/marts/legal", "path:models/marts/scoreboards")
PUBLISHED_MARTS = Asset(name="published_marts", uri="shared-exchange://warehouse/published")


def build_ingest_dag(source: str, doc_md: str | None):
    """landing → raw for one department: discover pending batches, load each, gate, emit."""

    @dag(
        dag_id=f"ingest_{source}",
        schedule="0 3 * * *",  # departments extract around 01:00; load at 03:00 local time
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["ingest", source],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
    )
    def ingest():
        @task
        def discover(logical_date=None) -> list[str]:
            return tasks.discover_batches(source, up_to=tasks.business_date(logical_date))

        @task(max_active_tis_per_dag=1)
        def load_batch(batch_path: str) -> dict:
            return tasks.ingest_batch(batch_path)

        @task(outlets=[raw_asset(source)])
        def gate_raw(results: list[dict], run_id: str | None = None) -> dict:
            return tasks.gate_raw(source, list(results), run_id)

        gate_raw(load_batch.expand(batch_path=discover()))

    return ingest()


def build_warehouse_dag(doc_md: str | None):
    """raw → staging → intermediate → marts, with a GE gate after each layer, then one publish."""

    @dag(
        dag_id="build_warehouse",
        schedule=raw_asset(SOURCES[0]) & raw_asset(SOURCES[1]) & raw_asset(SOURCES[2])
        & raw_asset(SOURCES[3]),
        start_date=START,
        catchup=False,
        max_active_runs=1,  # one DuckDB writer at a time
        tags=["warehouse", "dbt", "gates"],
        default_args={**DEFAULT_ARGS, "retries": 1},
        doc_md=doc_md,
    )
    def warehouse():
        @task
        def start_build(run_id: str | None = None) -> dict:
            return tasks.start_build(run_id or "manual")

        @task
        def seed(build: dict) -> dict:
            tasks.dbt_step(build, ["seed"])
            return build

        @task
        def staging(build: dict) -> dict:
            tasks.dbt_build(build, ["staging"])
            return build

        @task
        def gate_staging(build: dict) -> dict:
            tasks.gate_layer(build, "staging")
            return build

        @task
        def core(build: dict) -> dict:
            # identity linking, then the person-in-case spine and the case timeline
            tasks.dbt_build(build, CORE_LAYER)
            return build

        @task
        def legal(build: dict) -> dict:
            # time limits, detectors and scoreboards read the spine built by `core`
            tasks.dbt_build(build, LEGAL_LAYER)
            return build

        @task
        def gate_marts(build: dict) -> dict:
            tasks.gate_layer(build, "marts")
            return build

        @task
        def classification(build: dict) -> dict:
            tasks.check_classification(build)
            return build

        @task(outlets=[PUBLISHED_MARTS])
        def publish(build: dict) -> str:
            return tasks.publish(build)

        @task
        def prepare_next_build() -> str | None:
            return tasks.prepare_next_build()

        # classification runs first: an untagged or under-classified column fails the build
        checked = classification(seed(start_build()))
        built = legal(core(gate_staging(staging(checked))))
        publish(gate_marts(built)) >> prepare_next_build()

    return warehouse()


def build_security_report_dag(doc_md: str | None):
    """The officers' daily report: audit verification, leak scan, masking matrix, key ages."""

    @dag(
        dag_id="security_report",
        schedule="0 6 * * *",
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["security", "report"],
        default_args=DEFAULT_ARGS,
        doc_md=doc_md,
    )
    def report():
        @task
        def security_report(logical_date=None) -> str:
            return tasks.security_report(tasks.business_date(logical_date))

        security_report()

    return report()
