"""Render the dbt source and staging YAML from the exchange contracts (one list of classifications).

The contracts (``contracts/schemas``) say, per delivered field, its canonical column, type and
``level``/``pi``. The raw layer (``docs/raw-layer.md``) derives ciphertext, token and metadata
columns from them. This module writes both into ``_<source>__sources.yml`` and
``_<source>__models.yml`` so the YAML ``meta`` other tools read never drifts from the contract;
``tests/warehouse/test_sources_yaml.py`` fails when the committed files are stale.
Run ``python -m shared_exchange.warehouse.sources`` after changing a contract.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from shared_exchange import SOURCES
from shared_exchange.config import PROJECT_ROOT
from shared_exchange.contracts import Contract, Field, all_contracts

__all__ = ["ColumnDoc", "raw_columns", "render_sources_yaml", "render_staging_yaml", "write_all"]

log = logging.getLogger(__name__)
DBT_DIR = PROJECT_ROOT / "dbt_project"
STAGING_DIR = DBT_DIR / "models" / "staging"
RAW_TYPES = {
    "string": "varchar", "enum": "varchar", "date": "date", "datetime": "timestamp",
    "int": "bigint", "decimal": "decimal(18,2)", "bool": "boolean",
}
SHARING = {"sources": "不予共享", "staging": "不予共享"}
# security-baseline §3 display forms written at ingestion as <column>_masked (security/masking.py)
MASK_FORMS = {
    "id_number": "first 6 + last 4 of the 18-digit form, e.g. 330106********1234",
    "name": "surname + one star, e.g. 张* / 欧阳*",
    "phone": "mobile first 3 + last 4, e.g. 138****5678; others last 4",
    "address": "cut after the county-level unit",
}
# Model names follow house style stg_<source>__<entity>s (court/enforcement is plural here).
ENTITY = {"enforcement": "enforcements"}


def staging_model(source: str, table: str) -> str:
    """The staging model of a raw table."""
    return f"stg_{source}__{ENTITY.get(table, table)}"


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    description: str
    level: str
    pi: str
    data_type: str


def _meta_columns(staging: bool) -> list[ColumnDoc]:
    cols = [
        ("_source", "department (police, procuratorate, court, justice)", "varchar"),
        ("_table", "raw table name", "varchar"),
        ("_batch_id", "delivery batch the row came from (evidence)", "varchar"),
        ("_business_date", "business date of the batch", "date"),
        ("_extracted_at", "when the department extracted the batch", "timestamp"),
        ("_contract_version", "contract version the batch was delivered under", "integer"),
        ("_source_file", "delivered file name (evidence)", "varchar"),
        ("_line", "1-based line (or XML record ordinal) in the delivered file", "integer"),
        ("_row_id", "<batch_id>/<file>/<line>; AEAD associated data of the row", "varchar"),
    ]
    if staging:
        cols = [c for c in cols if c[0] not in {"_source", "_table"}] + [
            ("_staged_in_build", "the build that made this row the current version "
             "(macros/current_versions.sql): what a daily build's identity models start from",
             "varchar")]
    return [ColumnDoc(n, d, "general", "none", t) for n, d, t in cols]


def _field_columns(f: Field) -> list[ColumnDoc]:
    if not f.encrypted:
        return [ColumnDoc(f.column, f.doc, f.level, f.pi, RAW_TYPES[f.type])]
    cols = [ColumnDoc(f"{f.column}_enc", f"{f.doc} — AEAD ciphertext (key id first)",
                      "core", f.pi, "blob"),
            # Still personal information (pi kept, so the gateway masks it again — idempotent —
            # for analysts and case officers and hides it from everyone else), but it shows
            # only what the baseline's mask rule lets any permitted reader see: important.
            ColumnDoc(f"{f.column}_masked",
                      f"{f.doc} — masked display form ({MASK_FORMS[f.pi]})",
                      "important", f.pi, "varchar")]
    if f.pi == "id_number":
        cols += [
            ColumnDoc("id_token", "keyed HMAC of the normalised 18-digit ID (domain.md §5)",
                      "important", "none", "varchar"),
            ColumnDoc("id_status", "valid | legacy15 | bad_checksum | malformed",
                      "general", "none", "varchar"),
            ColumnDoc("id_birth_date", "birth date read from the ID number",
                      "important", "birth_date", "date"),
            ColumnDoc("id_region_code", "6-digit address code read from the ID number",
                      "important", "none", "varchar"),
        ]
    if f.pi == "name":
        cols += [
            ColumnDoc("name_token", "keyed HMAC of the NFKC-normalised name",
                      "important", "none", "varchar"),
            ColumnDoc("name_pinyin_token", "keyed HMAC of the toneless pinyin of the name",
                      "important", "none", "varchar"),
        ]
    return cols


def _tables() -> dict[tuple[str, str], list[Contract]]:
    by_table: dict[tuple[str, str], list[Contract]] = {}
    for c in all_contracts():
        by_table.setdefault((c.source, c.table), []).append(c)
    return by_table


def raw_columns(versions: list[Contract], staging: bool = False) -> list[ColumnDoc]:
    """Columns of one raw table over all its contract versions (newest field wins)."""
    seen: dict[str, ColumnDoc] = {}
    for contract in versions:
        for f in contract.fields:
            for col in _field_columns(f):
                seen[col.name] = col
    return list(seen.values()) + _meta_columns(staging)


def _column_yaml(col: ColumnDoc, with_type: bool) -> dict:
    out: dict = {"name": col.name, "description": col.description}
    if with_type:
        out["data_type"] = col.data_type
    out["meta"] = {"level": col.level, "pi": col.pi}
    return out


def _dump(doc: dict, header: str) -> str:
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    return header + body


def render_sources_yaml(source: str) -> str:
    """The ``_<source>__sources.yml`` for one department, from its contracts."""
    tables = []
    for (src, table), versions in _tables().items():
        if src != source:
            continue
        glob = f"{{{{ env_var('SHARED_EXCHANGE_HOME') }}}}/raw/{source}/{table}/*.parquet"
        tables.append({
            "name": table,
            "description": f"{versions[-1].file}, contract v{versions[-1].version}; business "
                           f"key {list(versions[-1].business_key)}",
            "meta": {"external_location": f"read_parquet('{glob}', union_by_name=true)"},
            "columns": [_column_yaml(c, True) for c in raw_columns(versions)],
        })
    doc = {"version": 2, "sources": [{
        "name": source,
        "description": f"{source} raw layer: per-batch Parquet written by ingestion "
                       "(docs/raw-layer.md); ciphertext, tokens and non-identifying fields.",
        "config": {"meta": {"sharing": SHARING["sources"]}},
        "tables": tables,
    }]}
    return _dump(doc, _HEADER)


# A file without a version field whose staging model still orders versions before the newest
# delivery: (the expression its SQL passes to current_versions, what it means).
UNVERSIONED_ORDER = {
    ("procuratorate", "supplementary_investigations"): (
        "(retransferred_date is not null)",
        "no version field; a version with retransferred_date is newer than one without (a "
        "record only gains it, so a stale re-delivery of the open version loses), then"),
}


def version_order(source: str, table: str, version_field: str | None) -> tuple[str | None, str]:
    """How the staging model ranks a record's versions before the newest delivery: the
    expression its SQL passes to current_versions (none: delivery order only) and what the
    description says of it (tests/warehouse/test_sources_yaml.py reads the SQL's)."""
    if version_field:
        return version_field, f"newest {version_field}, then"
    return UNVERSIONED_ORDER.get((source, table), (None, "no version field in the file:"))


def render_staging_yaml(source: str, extras: dict[str, list[ColumnDoc]]) -> str:
    """The ``_<source>__models.yml`` for one department's staging views."""
    models = []
    for (src, table), versions in _tables().items():
        if src != source:
            continue
        name = staging_model(source, table)
        key = [k if k != "id_number" else "id_token" for k in versions[-1].business_key]
        cols = raw_columns(versions, staging=True) + extras.get(name, [])
        _, order = version_order(source, table, versions[-1].version_field)
        models.append({
            "name": name,
            "description": f"Current version of each {source}.{table} record per business key "
                           f"{key}: {order} the newest delivery (_business_date, _extracted_at, "
                           "_batch_id, _line). Ciphertext passes through; never decrypted.",
            "config": {"meta": {"sharing": SHARING["staging"]}},
            "columns": [_column_yaml(c, False) for c in cols],
        })
    return _dump({"version": 2, "models": models}, _HEADER)


_HEADER = (
    "# GENERATED from src/shared_exchange/contracts/schemas by\n"
    "# `python -m shared_exchange.warehouse.sources` — edit the contract, not this file.\n"
)


def write_all(staging_dir: Path = STAGING_DIR) -> list[Path]:
    """Write every department's sources and staging YAML; returns the files written."""
    from shared_exchange.warehouse.staging_columns import STAGING_EXTRAS

    written = []
    for source in SOURCES:
        folder = staging_dir / source
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in (
            (folder / f"_{source}__sources.yml", render_sources_yaml(source)),
            (folder / f"_{source}__models.yml", render_staging_yaml(source, STAGING_EXTRAS)),
        ):
            path.write_text(text, encoding="utf-8")
            written.append(path)
            log.info("wrote %s", path)
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    write_all()
