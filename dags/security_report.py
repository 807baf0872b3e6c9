"""
# Security report — Airflow DAG

**Purpose**: the security officers' daily report (security-baseline §5): classification
coverage, masking matrix, unmask and sealed accesses, denied queries, PII-leak scan, key ages,
audit-log verification, with the audit head published alongside.

**Inputs**: audit log, keyring metadata, dbt manifest, the whole home (leak scan).

**Outputs**: `reports/security/<date>/security-report.html` and `.json`.

**PII handled**: the leak scan decrypts needles in memory only; findings are shown masked.
"""

from shared_exchange.orchestration.dags import build_security_report_dag

dag = build_security_report_dag(doc_md=__doc__)
