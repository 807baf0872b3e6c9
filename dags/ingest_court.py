"""
# Ingest court — Airflow DAG

**Purpose**: load the daily batches of 法院 (court):
judgments and enforcement (XML, UTF-8)
from the landing zone into the raw layer.

**Inputs**: `$SHARED_EXCHANGE_HOME/landing/court/<business_date>/<batch_id>/`
(manifest.json + files).

**Outputs**: `raw/court/<table>/<batch_id>.parquet`,
`quarantine/court/<batch_id>.parquet`, `ledger/court/<batch_id>.json`;
the Asset `raw_court` once the raw gate passes.

**PII handled**: ID numbers, names, phones and addresses are encrypted (AEAD) and tokenised
(keyed HMAC) before anything is written; XCom carries paths and counts only.
Each batch id loads once; a rerun of a batch is a no-op.
"""

from shared_exchange.orchestration.dags import build_ingest_dag

dag = build_ingest_dag("court", doc_md=__doc__)
