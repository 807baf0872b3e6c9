"""Read what a gate validates into pandas: raw batches, ledgers, build tables, the mart catalog.

Only the columns a suite reads are loaded (and never an ``_enc`` ciphertext beyond a null
check), so a gate costs little next to the build and holds no more data than it needs. A
table with more rows than one chunk is not loaded at all: it comes back as a
``chunks.ChunkedTable`` that the engine reads in bounded pieces.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from shared_exchange.config import Settings
from shared_exchange.duck import connect, ident, literal
from shared_exchange.quality.chunks import ChunkedTable, table_source
from shared_exchange.quality.storage import read_json
from shared_exchange.quality.suites import SuiteSpec, restricted_models

log = logging.getLogger(__name__)

LEDGER_TABLE = "_ledger"

# -- raw layer -------------------------------------------------------------------------


def load_ledgers(settings: Settings, source: str, batch_ids: list[str]) -> list[dict[str, Any]]:
    ledgers = []
    for batch_id in batch_ids:
        path = settings.ledger / source / f"{batch_id}.json"
        ledger = read_json(path)
        if ledger is None:
            raise FileNotFoundError(
                f"no ledger for batch {batch_id!r} of {source} at {path}: ingest the batch first"
            )
        ledgers.append(ledger)
    return ledgers


def ledger_frame(ledgers: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per delivered file of each batch, with the counts the gate balances."""
    rows = []
    for ledger in ledgers:
        files = ledger.get("files") or [{"name": "", "table": "", "delivered": 0, "loaded": 0,
                                         "quarantined": 0}]
        for f in files:
            delivered = int(f.get("delivered", 0))
            quarantined = int(f.get("quarantined", 0))
            loaded = int(f.get("loaded", 0))
            rows.append({
                "batch_id": ledger["batch_id"],
                "file": f.get("name", ""),
                "table": f.get("table", ""),
                "batch_status": ledger.get("status"),
                "delivered": delivered,
                "accounted": loaded + quarantined,
                # a rejected batch is reported by freshness; its share says nothing new
                "quarantine_share": (quarantined / delivered
                                     if delivered and ledger.get("status") == "loaded" else None),
            })
    return pd.DataFrame(rows)


def raw_table_frame(
    settings: Settings, source: str, table: str, batch_ids: list[str], columns: set[str]
) -> pd.DataFrame | ChunkedTable:
    """The gated columns of ``raw/<source>/<table>/<batch>.parquet`` for these batches.

    A frame, or a ``ChunkedTable`` owning its connection when there are more rows than one
    chunk (``run_gate`` closes it).
    """
    files = [settings.raw / source / table / f"{b}.parquet" for b in batch_ids]
    files = [str(f) for f in files if f.exists()]
    if not files:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in sorted(columns)})
    con = connect(memory_limit=settings.duckdb_memory_limit)
    try:
        scan = f"read_parquet([{', '.join(literal(f) for f in files)}], union_by_name = true)"
        available = {r[0] for r in con.execute(f"describe select * from {scan}").fetchall()}
        present = [c for c in sorted(columns) if c in available]
        # ciphertext is only checked for presence: load a marker, never the bytes
        select = ", ".join(
            f"case when {ident(c)} is null then null else 'present' end as {ident(c)}"
            if c.endswith("_enc") else ident(c)
            for c in present
        )
        return table_source(con, f"select {select or '1 as _empty'} from {scan}",
                            owns_connection=True)
    except BaseException:
        con.close()
        raise


def raw_frames(
    settings: Settings, spec: SuiteSpec, source: str, batch_ids: list[str]
) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    ledgers = load_ledgers(settings, source, batch_ids)
    frames = {LEDGER_TABLE: ledger_frame(ledgers)}
    for table in spec.tables:
        if table != LEDGER_TABLE:
            cols = spec.columns(table) | set(spec.keys_for(table))
            frames[table] = raw_table_frame(settings, source, table, batch_ids, cols)
    return frames, ledgers


# -- warehouse builds ------------------------------------------------------------------


def open_build(
    path: Path, *, read_only: bool = True, memory_limit: str = ""
) -> duckdb.DuckDBPyConnection:
    """A connection to a build file; read-only unless the build is still ours to write."""
    return connect(path, read_only=read_only, memory_limit=memory_limit)


def find_table(con: duckdb.DuckDBPyConnection, name: str, prefer: str = "") -> str | None:
    """``schema.table`` of a model in a build, whatever schema dbt put it in."""
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ?", [name]
    ).fetchall()
    if not rows:
        return None
    schemas = sorted((r[0] for r in rows), key=lambda s: (prefer not in s, s))
    return f"{ident(schemas[0])}.{ident(name)}"


def table_rows(path: Path, name: str) -> int | None:
    """Row count of ``name`` in the build at ``path``; ``None`` when absent."""
    if not path.exists():
        return None
    con = open_build(path)
    try:
        table = find_table(con, name, "mart")
        return None if table is None else con.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


def build_frame(
    con: duckdb.DuckDBPyConnection, spec: SuiteSpec, table: str, prefer: str
) -> pd.DataFrame | ChunkedTable | None:
    """The frame for one table of a staging or mart suite; ``None`` if the model is absent.

    A table with more rows than one chunk comes back as a ``ChunkedTable`` reading ``con``.
    """
    name = table or spec.name
    qualified = find_table(con, name, prefer)
    if qualified is None:
        return None
    query = spec.meta.get("query") if not table else None
    if query:
        schema = qualified.split(".")[0].strip('"')
        return table_source(con, query, setup=f"set search_path = {literal(schema)}")
    present = {r[0] for r in con.execute(f"describe {qualified}").fetchall()}
    wanted = sorted((spec.columns(table) | set(spec.keys_for(table))) & present)
    cols = ", ".join(ident(c) for c in wanted) or "1 as _empty"
    return table_source(con, f"select {cols} from {qualified}")


def mart_catalog_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per mart table: may it hold person-level rows, and does it hold sealed ones?"""
    config = restricted_models()
    rows = []
    # every table in the schema(s) the named marts live in: a new mart is non-restricted
    # until someone lists it in _restricted_models.json (deny by default)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where table_schema in "
        "(select table_schema from information_schema.tables where table_name in "
        "(select unnest(?)))",
        [list(config.marts)],
    ).fetchall()
    for schema, name in sorted(set(tables)):
        qualified = f"{ident(schema)}.{ident(name)}"
        cols = {r[0] for r in con.execute(f"describe {qualified}").fetchall()}
        sealed_rows = 0
        if "sealed" in cols:
            sealed_rows = con.execute(
                f"select count(*) from {qualified} where sealed"
            ).fetchone()[0]
        restricted = name in config.restricted
        person_level = bool(cols & set(config.person_columns))
        rows.append({
            "table_name": name,
            "restricted": restricted,
            "sealed_rows_outside_restricted": 0 if restricted else int(sealed_rows),
            "person_level_outside_restricted": person_level and not restricted,
        })
    return pd.DataFrame(rows, columns=["table_name", "restricted",
                                       "sealed_rows_outside_restricted",
                                       "person_level_outside_restricted"])
