"""
# Ingest justice — Airflow DAG

**Purpose**: load the daily batches of 司法局 (justice bureau):
community corrections, custody events, legal aid (CSV, UTF-8 with BOM)
from the landing zone into the raw layer.

**Inputs**: `$SHARED_EXCHANGE_HOME/landing/justice/<business_date>/<batch_id>/`
(manifest.json + files).

**Outputs**: `raw/justice/<table>/<batch_id>.parquet`,
`quarantine/justice/<batch_id>.parquet`, `ledger/justice/<batch_id>.json`;
the Asset `raw_justice` once the raw gate passes.

**PII handled**: ID numbers, names, phones and addresses are encrypted (AEAD) and tokenised
(keyed HMAC) before anything is written; XCom carries paths and counts only.
Each batch id loads once; a rerun of a batch is a no-op.
"""

from shared_exchange.orchestration.dags import build_ingest_dag

dag = build_ingest_dag("justice", doc_md=__doc__)
