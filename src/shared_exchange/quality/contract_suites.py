"""Render the raw and staging suites (``expectations/{raw,staging}_<source>.json``) from contracts.

Required fields, code values and business keys already live in the contracts; these suites
are generated from them so nobody keeps a second list. The files are still committed (GX
loads files, and a reviewer sees what the gate checks); ``tests/quality/test_suites.py``
fails when a file drifts from its contract. Regenerate with
``python -m shared_exchange.quality.contract_suites``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from shared_exchange.contracts.schema import Contract, all_contracts
from shared_exchange.quality.suites import EXPECTATIONS_DIR, RAW_ROW_KEY
from shared_exchange.warehouse.sources import staging_model

log = logging.getLogger(__name__)

SOURCES = ("police", "procuratorate", "court", "justice")
ID_STATUSES = ["valid", "legacy15", "bad_checksum", "malformed"]
# Share of rows whose ID number is usable for linking (project choice, domain.md §5).
ID_VALID_SHARE = 0.9
# Rows whose dates run backwards are a department's data error, not ours: tolerate a few.
DATE_ORDER_MOSTLY = 0.999
MAX_QUARANTINE_SHARE = 0.2
GENERATED_FROM = "contracts (python -m shared_exchange.quality.contract_suites)"
# (later column, earlier column) pairs that must not run backwards, per raw table.
DATE_ORDER: dict[str, list[tuple[str, str]]] = {
    "measures": [("end_at", "start_at")],
    "arrest_reviews": [("concluded_date", "received_date")],
    "prosecution_reviews": [("concluded_date", "received_date")],
    "supplementary_investigations": [("retransferred_date", "returned_date")],
    "judgments": [("closed_date", "filed_date"), ("effective_date", "closed_date")],
    "enforcement": [("closed_date", "filed_date")],
    "community_corrections": [("end_date", "start_date")],
}


def _exp(table: str, check: str, etype: str, severity: str = "critical", **kwargs: Any) -> dict:
    return {"type": etype, "kwargs": kwargs, "meta": {"table": table, "check": check},
            "severity": severity}


def _table_expectations(contract: Contract) -> list[dict]:
    t = contract.table
    out = [_exp(t, "volume_matches_ledger", "expect_table_row_count_to_equal",
                value={"$PARAMETER": f"{t}_loaded_rows"})]
    for f in contract.fields:
        col = f"{f.column}_enc" if f.encrypted else f.column
        if f.required:
            out.append(_exp(t, f"required_{f.column}", "expect_column_values_to_not_be_null",
                            column=col))
        if f.type == "enum":
            out.append(_exp(t, f"code_{f.column}", "expect_column_values_to_be_in_set",
                            column=f.column, value_set=list(f.values)))
        if f.type == "id_number":
            status = "id_status" if f.column == "id_number" else f"{f.column}_id_status"
            out.append(_exp(t, f"code_{status}", "expect_column_values_to_be_in_set",
                            column=status, value_set=ID_STATUSES))
            out.append(_exp(t, f"{status}_valid_share", "expect_column_values_to_be_in_set",
                            column=status, value_set=["valid", "legacy15"],
                            mostly=ID_VALID_SHARE))
    for later, earlier in DATE_ORDER.get(t, []):
        out.append(_exp(t, f"order_{later}_not_before_{earlier}",
                        "expect_column_pair_values_a_to_be_greater_than_b",
                        column_A=later, column_B=earlier, or_equal=True,
                        ignore_row_if="either_value_is_missing", mostly=DATE_ORDER_MOSTLY))
    return out


def _ledger_expectations() -> list[dict]:
    t = "_ledger"
    return [
        _exp(t, "ledger_balanced", "expect_column_pair_values_to_be_equal",
             column_A="delivered", column_B="accounted"),
        _exp(t, "batch_status_known", "expect_column_values_to_be_in_set",
             column="batch_status", value_set=["loaded", "rejected"]),
        _exp(t, "quarantine_share", "expect_column_values_to_be_between", severity="warning",
             column="quarantine_share", min_value=0, max_value=MAX_QUARANTINE_SHARE),
    ]


def _latest(source: str) -> dict[str, Contract]:
    latest: dict[str, Contract] = {}
    for contract in all_contracts():  # sorted by version: the last one wins
        if contract.source == source:
            latest[contract.table] = contract
    return latest


def render_raw_suite(source: str) -> dict[str, Any]:
    """The suite for one department's raw tables, from its newest contracts."""
    latest = _latest(source)
    expectations = _ledger_expectations()
    for table in sorted(latest):
        expectations.extend(_table_expectations(latest[table]))
    return {
        "name": f"raw_{source}",
        "meta": {
            "dataset": f"raw_{source}",
            "layer": "raw",
            "keys": [RAW_ROW_KEY],
            "table_keys": {"_ledger": ["batch_id", "file"]},
            "generated_from": GENERATED_FROM,
        },
        "expectations": expectations,
    }


def _staging_key(contract: Contract) -> list[str]:
    by_column = contract.by_column
    return ["id_token" if by_column[c].type == "id_number" else c for c in contract.business_key]


def render_staging_suite(source: str) -> dict[str, Any]:
    """Staging keeps the current version per business key: keys unique, metadata present."""
    expectations = []
    for _, contract in sorted(_latest(source).items()):
        model = staging_model(contract.source, contract.table)
        key = _staging_key(contract)
        # the dedup macro keeps rows whose key has a null part apart: skip those here
        if len(key) == 1:
            expectations.append(_exp(model, "business_key_unique",
                                     "expect_column_values_to_be_unique", column=key[0]))
        else:
            expectations.append(_exp(model, "business_key_unique",
                                     "expect_compound_columns_to_be_unique", column_list=key,
                                     ignore_row_if="any_value_is_missing"))
        for col in (RAW_ROW_KEY, "_batch_id", "_business_date"):
            expectations.append(_exp(model, f"required_{col.lstrip('_')}",
                                     "expect_column_values_to_not_be_null", column=col))
    return {
        "name": f"staging_{source}",
        "meta": {"dataset": f"staging_{source}", "layer": "staging", "keys": [RAW_ROW_KEY],
                 "generated_from": GENERATED_FROM},
        "expectations": expectations,
    }


RENDERERS = {"raw": render_raw_suite, "staging": render_staging_suite}


def write_contract_suites(directory: Path | None = None) -> list[Path]:
    written = []
    for layer, render in RENDERERS.items():
        for source in SOURCES:
            path = (directory or EXPECTATIONS_DIR) / f"{layer}_{source}.json"
            text = json.dumps(render(source), ensure_ascii=False, indent=2) + "\n"
            path.write_text(text, encoding="utf-8")
            written.append(path)
            log.info("wrote %s", path)
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    write_contract_suites()
