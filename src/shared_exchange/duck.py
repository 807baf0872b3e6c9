"""DuckDB connections and SQL quoting shared by the warehouse, the gates and the gateway.

One way to open a bounded connection: DuckDB's default memory limit is 80 % of the machine,
so every reader of a large build (gates, comparisons, the gateway) passes the deployment's
limit (``Settings.duckdb_memory_limit``); past it DuckDB spills instead of growing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb


def connect(database: Path | str | None = None, *, read_only: bool = False,
            memory_limit: str | None = None,
            config: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to ``database`` (in memory when None) with memory bounded when given."""
    options = dict(config or {})
    if memory_limit:
        options["memory_limit"] = memory_limit
    return duckdb.connect(":memory:" if database is None else str(database),
                          read_only=read_only, config=options)


def ident(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A DuckDB string literal, quoted."""
    return "'" + value.replace("'", "''") + "'"
