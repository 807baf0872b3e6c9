"""
# Ingest procuratorate — Airflow DAG

**Purpose**: load the daily batches of 检察院 (procuratorate):
arrest reviews, prosecution reviews, supplementary investigations
(CSV, GB18030)
from the landing zone into the raw layer.

**Inputs**: `$SHARED_EXCHANGE_HOME/landing/procuratorate/<business_date>/<batch_id>/`
(manifest.json + files).

**Outputs**: `raw/procuratorate/<table>/<batch_id>.parquet`,
`quarantine/procuratorate/<batch_id>.parquet`, `ledger/procuratorate/<batch_id>.json`;
the Asset `raw_procuratorate` once the raw gate passes.

**PII handled**: ID numbers, names, phones and addresses are encrypted (AEAD) and tokenised
(keyed HMAC) before anything is written; XCom carries paths and counts only.
Each batch id loads once; a rerun of a batch is a no-op.
"""

from shared_exchange.orchestration.dags import build_ingest_dag

dag = build_ingest_dag("procuratorate", doc_md=__doc__)
