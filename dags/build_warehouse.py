"""
# Build warehouse — Airflow DAG

**Purpose**: build the unified marts with dbt when all four departments' raw Assets update,
gate every layer with Great Expectations, and publish the new version atomically.

**Inputs**: the raw layer (`raw/<source>/<table>/*.parquet`); Assets `raw_police`,
`raw_procuratorate`, `raw_court`, `raw_justice`.

**Outputs**: `warehouse/builds/<version>.duckdb`; on success `warehouse/published.duckdb`
points to it (Asset `published_marts`). A failed gate stops the run before `publish`, and
the previously published version stays served. After publishing, `prepare_next_build`
copies the new version for the next run to start from (`warehouse/builds/.next.duckdb`).

**PII handled**: none in clear. Staging passes ciphertext through; marts hold tokens only.
"""

from shared_exchange.orchestration.dags import build_warehouse_dag

dag = build_warehouse_dag(doc_md=__doc__)
