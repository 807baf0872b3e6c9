"""Cluster policy for a multi-machine deployment: each DAG's tasks to its pool and queue.

Mounted as ``$AIRFLOW_HOME/config/airflow_local_settings.py`` on every scheduler and
dag-processor (the Helm chart's ``airflowLocalSettings``). Pools are a deployment concern,
so the DAG files stay unchanged and still run with ``airflow dags test`` on a laptop where no
pool exists. A task that already names a pool keeps it. The queue only matters under
CeleryExecutor: the warehouse queue is served by the one worker that holds warehouse/.
"""

from __future__ import annotations

from typing import Any

SOURCES = ("police", "procuratorate", "court", "justice")
DEFAULT_POOL = "default_pool"
DEFAULT_QUEUE = "default"
WAREHOUSE_QUEUE = "warehouse"
# dag_id -> pool; one ingestion pool per department so a slow department never starves the
# others, and one writer slot for the warehouse because a DuckDB file takes a single writer.
POOL_BY_DAG: dict[str, str] = {
    **{f"ingest_{source}": f"ingest_{source}" for source in SOURCES},
    "build_warehouse": "warehouse_writer",
    "security_report": "reports",
}

# DAGs that open DuckDB files under warehouse/ (the build writes one, the report reads one)
QUEUE_BY_DAG: dict[str, str] = {"build_warehouse": WAREHOUSE_QUEUE,
                                "security_report": WAREHOUSE_QUEUE}


def pool_for(dag_id: str | None) -> str | None:
    """The pool a task of ``dag_id`` runs in, or None to leave it where it is."""
    return POOL_BY_DAG.get(dag_id or "")


def task_policy(task: Any) -> None:
    """Airflow calls this for every task when a DAG file is parsed."""
    pool = pool_for(getattr(task, "dag_id", None))
    if pool and getattr(task, "pool", DEFAULT_POOL) in (None, DEFAULT_POOL):
        task.pool = pool
    queue = QUEUE_BY_DAG.get(getattr(task, "dag_id", None) or "")
    if queue and getattr(task, "queue", DEFAULT_QUEUE) in (None, DEFAULT_QUEUE):
        task.queue = queue
