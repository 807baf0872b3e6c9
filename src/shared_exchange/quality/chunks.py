"""Read a table too big for one pandas frame from DuckDB in bounded chunks.

A gate used to load every table it validates as one frame, so its memory grew with the data.
A table with more than ``CHUNK_ROWS`` rows is instead handed to the engine as a
``ChunkedTable``: its rows stay in DuckDB and come out as sequential slices (row-wise checks),
as hash partitions of a key (uniqueness: equal keys always share a partition), or as small
aggregates (row counts, distinct values). Smaller tables keep the one-frame path.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from shared_exchange.duck import ident

log = logging.getLogger(__name__)

# Rows of one pandas frame handed to GX. ~250k rows of a mart's gated columns is ~100-200 MB
# of pandas plus GX's per-expectation masks; read at call time so tests can shrink it.
CHUNK_ROWS = 250_000
# DuckDB hands out results in vectors of this many rows (fetch_df_chunk counts vectors).
_VECTOR_ROWS = 2048


def chunk_rows() -> int:
    return max(1, int(CHUNK_ROWS))


@dataclass
class ChunkedTable:
    """The gated columns of one table, left in DuckDB until a bounded piece is asked for.

    ``select`` is SQL giving exactly the frame the one-frame path would load (the table's
    gated columns, or a suite's ``meta.query``); ``setup`` runs before each read (the
    ``search_path`` a suite query needs).
    """

    con: duckdb.DuckDBPyConnection
    select: str
    columns: list[str]
    rows: int
    setup: str | None = None
    owns_connection: bool = False
    reads: list[str] = field(default_factory=list)  # what was read, for tests and logs

    def __len__(self) -> int:
        return self.rows

    def _execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        if self.setup:
            self.con.execute(self.setup)
        return self.con.execute(sql)

    def chunks(self) -> Iterator[pd.DataFrame]:
        """Every row once, in slices of at most ``CHUNK_ROWS`` rows, streamed from one query."""
        size = chunk_rows()
        vectors = max(1, size // _VECTOR_ROWS)
        result = self._execute(f"select * from ({self.select}) as _gated")
        self.reads.append("chunks")
        while True:
            fetched = result.fetch_df_chunk(vectors)
            if fetched.empty:
                return
            for start in range(0, len(fetched), size):
                # reset so GX's row indices (and samples) stay chunk-local
                yield fetched.iloc[start:start + size].reset_index(drop=True)

    def partition_count(self) -> int:
        return max(1, math.ceil(self.rows / chunk_rows()))

    def partitions(
        self, keys: Sequence[str], ignored_if: str | None, columns: Sequence[str]
    ) -> Iterator[pd.DataFrame]:
        """Every row once, in hash partitions of ``keys``: equal keys share a partition.

        ``ignored_if`` is the condition under which GX leaves a row out of the uniqueness
        check (``any``/``all`` key missing, or ``None``): such rows cannot collide, so they
        are spread by a hash of their key and sample columns instead of piling into the
        partition of NULL.
        """
        n = self.partition_count()
        read = [ident(c) for c in dict.fromkeys([*keys, *columns])]
        key_hash = f"hash({', '.join(ident(k) for k in keys)})"
        row_hash = f"hash({', '.join(read)})"  # sample keys identify rows: an even spread
        nulls = [f"{ident(k)} is null" for k in keys]
        part = key_hash
        if ignored_if == "any":
            part = f"case when {' or '.join(nulls)} then {row_hash} else {key_hash} end"
        elif ignored_if == "all":
            part = f"case when {' and '.join(nulls)} then {row_hash} else {key_hash} end"
        for i in range(n):
            self.reads.append(f"partition {i + 1}/{n} of {','.join(keys)}")
            yield self._execute(
                f"select {', '.join(read)} from ({self.select}) as _gated where {part} % {n} = {i}"
            ).df()

    def distinct(self, column: str) -> pd.DataFrame:
        """One row per distinct value of ``column`` (exact for distinct-set expectations)."""
        self.reads.append(f"distinct {column}")
        return self._execute(
            f"select distinct {ident(column)} from ({self.select}) as _gated"
        ).df()

    def whole(self) -> pd.DataFrame:
        """The whole frame: only for an expectation no bounded read can answer exactly."""
        log.warning("loading all %d rows of a chunked table into one frame", self.rows)
        self.reads.append("whole")
        return self._execute(f"select * from ({self.select}) as _gated").df()

    def close(self) -> None:
        if self.owns_connection:
            self.con.close()


def table_source(
    con: duckdb.DuckDBPyConnection,
    select: str,
    *,
    setup: str | None = None,
    owns_connection: bool = False,
) -> pd.DataFrame | ChunkedTable:
    """A frame when the result has at most ``CHUNK_ROWS`` rows, else a ``ChunkedTable``."""
    if setup:
        con.execute(setup)
    rows = con.execute(f"select count(*) from ({select}) as _gated").fetchone()[0]
    if rows <= chunk_rows():
        frame = con.execute(select).df()
        if owns_connection:
            con.close()
        return frame
    columns = [d[0] for d in con.execute(f"select * from ({select}) as _gated limit 0").description]
    log.info("gating %d rows in chunks of at most %d", rows, chunk_rows())
    return ChunkedTable(con=con, select=select, columns=columns, rows=int(rows), setup=setup,
                        owns_connection=owns_connection)
