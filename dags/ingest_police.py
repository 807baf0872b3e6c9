"""
# Ingest police — Airflow DAG

**Purpose**: load the daily batches of 公安 (police):
cases, suspects, measures, transfers (JSON Lines, UTF-8)
from the landing zone into the raw layer.

**Inputs**: `$SHARED_EXCHANGE_HOME/landing/police/<business_date>/<batch_id>/`
(manifest.json + files).

**Outputs**: `raw/police/<table>/<batch_id>.parquet`,
`quarantine/police/<batch_id>.parquet`, `ledger/police/<batch_id>.json`;
the Asset `raw_police` once the raw gate passes.

**PII handled**: ID numbers, names, phones and addresses are encrypted (AEAD) and tokenised
(keyed HMAC) before anything is written; XCom carries paths and counts only.
Each batch id loads once; a rerun of a batch is a no-op.
"""

from shared_exchange.orchestration.dags import build_ingest_dag

dag = build_ingest_dag("police", doc_md=__doc__)
