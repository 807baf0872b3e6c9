"""Per-batch Parquet files of the raw layer and the quarantine, with one fixed schema per table.

The schema is derived from the contract (the union of every version's columns), so every
batch of a table has the same columns and types, and ``_schema.parquet`` (zero rows) lets
dbt's ``read_parquet(glob, union_by_name=true)`` work before a table has any data. Files
are written to a temporary name and moved into place, so readers never see half a file.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shared_exchange.config import Settings
from shared_exchange.contracts.schema import Field, all_contracts

SCHEMA_FILE = "_schema.parquet"
_TYPES = {
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "int": pa.int64(),
    "decimal": pa.decimal128(18, 2),
    "bool": pa.bool_(),
}
METADATA = (
    ("_source", pa.string()),
    ("_table", pa.string()),
    ("_batch_id", pa.string()),
    ("_business_date", pa.date32()),
    ("_extracted_at", pa.timestamp("us")),
    ("_contract_version", pa.int32()),
    ("_source_file", pa.string()),
    ("_line", pa.int32()),
    ("_row_id", pa.string()),
)
QUARANTINE_SCHEMA = pa.schema([
    ("batch_id", pa.string()),
    ("source", pa.string()),
    ("file", pa.string()),
    ("table", pa.string()),
    ("line", pa.int32()),
    ("field", pa.string()),
    ("reason", pa.string()),
    ("reason_code", pa.string()),
    ("raw_enc", pa.binary()),
    ("_business_date", pa.date32()),
])


def _columns_of(f: Field) -> list[tuple[str, pa.DataType]]:
    if not f.encrypted:
        return [(f.column, _TYPES.get(f.type, pa.string()))]
    # ciphertext, then the masked display form (security-baseline §3), then tokens
    protected = [(f"{f.column}_enc", pa.binary()), (f"{f.column}_masked", pa.string())]
    if f.pi == "id_number":
        return [*protected, ("id_token", pa.string()), ("id_status", pa.string()),
                ("id_birth_date", pa.date32()), ("id_region_code", pa.string())]
    if f.pi == "name":
        return [*protected, ("name_token", pa.string()), ("name_pinyin_token", pa.string())]
    return protected


@cache
def table_schema(source: str, table: str) -> pa.Schema:
    """Raw-layer schema of a table: every contract version's columns, then the metadata."""
    fields: dict[str, pa.DataType] = {}
    versions = [c for c in all_contracts() if (c.source, c.table) == (source, table)]
    if not versions:
        raise KeyError(f"no contract for {source}/{table}")
    for contract in versions:
        for f in contract.fields:
            for name, dtype in _columns_of(f):
                if fields.setdefault(name, dtype) != dtype:
                    raise TypeError(f"{source}/{table}: column {name} changes type between "
                                    "contract versions; give the new type a new column name")
    return pa.schema([*fields.items(), *METADATA])


def table_path(settings: Settings, source: str, table: str, batch_id: str) -> Path:
    return settings.raw / source / table / f"{batch_id}.parquet"


def quarantine_path(settings: Settings, source: str, batch_id: str) -> Path:
    return settings.quarantine / source / f"{batch_id}.parquet"


# Fixed options so identical input gives identical bytes.
PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True, "store_schema": True,
                   "use_dictionary": True}


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_schema_files(settings: Settings, source: str) -> None:
    """Zero-row ``_schema.parquet`` for every table of a source and for its quarantine."""
    for table in sorted({c.table for c in all_contracts() if c.source == source}):
        path = settings.raw / source / table / SCHEMA_FILE
        schema = table_schema(source, table)
        if not path.exists() or pq.read_schema(path) != schema:
            _write(schema.empty_table(), path)
    path = settings.quarantine / source / SCHEMA_FILE
    if not path.exists():
        _write(QUARANTINE_SCHEMA.empty_table(), path)


class StagedTable:
    """One batch of a raw table written chunk by chunk (a row group each) to a temporary file,
    and visible only after ``commit``: ingestion holds one chunk in memory, not the file, and a
    batch rejected half-way (``abort``) leaves nothing behind."""

    def __init__(self, settings: Settings, source: str, table: str, batch_id: str) -> None:
        self.name = f"{source}/{table}"
        self.schema = table_schema(source, table)
        self.path = table_path(settings, source, table, batch_id)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._writer: pq.ParquetWriter | None = None

    def write(self, columns: dict[str, list]) -> None:
        """Append rows; columns absent from ``columns`` are all NULL."""
        unknown = set(columns) - set(self.schema.names)
        if unknown:
            raise KeyError(f"{self.name}: columns {sorted(unknown)} are not in the schema")
        n = len(next(iter(columns.values()))) if columns else 0
        arrays = [pa.array(columns[f.name], type=f.type) if f.name in columns
                  else pa.nulls(n, type=f.type) for f in self.schema]
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self._tmp, self.schema, **PARQUET_OPTIONS)
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def commit(self) -> Path:
        if self._writer is None:  # no rows: still a file, so a rerun replaces an older one
            self.write({})
        self._writer.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._tmp.unlink(missing_ok=True)



def write_quarantine(settings: Settings, source: str, batch_id: str,
                     columns: dict[str, list]) -> Path:
    """Write a batch's quarantine file (written even when empty, so a rerun replaces it)."""
    arrays = [pa.array(columns.get(f.name, []), type=f.type) for f in QUARANTINE_SCHEMA]
    path = quarantine_path(settings, source, batch_id)
    _write(pa.Table.from_arrays(arrays, schema=QUARANTINE_SCHEMA), path)
    return path


def remove_batch_files(settings: Settings, source: str, batch_id: str) -> None:
    """Delete what an earlier, interrupted attempt at a batch left behind."""
    for table in {c.table for c in all_contracts() if c.source == source}:
        table_path(settings, source, table, batch_id).unlink(missing_ok=True)
    quarantine_path(settings, source, batch_id).unlink(missing_ok=True)
