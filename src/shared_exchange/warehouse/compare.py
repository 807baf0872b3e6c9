"""Compare the marts of two warehouse builds row for row (DuckDB vs Spark, or two DuckDB builds).

Each side is a DuckDB build file, a folder of Parquet exports (``<dir>/<mart>/*.parquet``, as
``shared_exchange.warehouse.spark.export_marts`` writes them) or rows in memory. Rows are
matched on the mart's key; values are compared after normalising engine differences that
carry no meaning: integer widths, DECIMAL vs DOUBLE (within a float tolerance), DATE vs a
midnight TIMESTAMP, and JSON text compared as parsed JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from shared_exchange.duck import connect, ident, literal

__all__ = ["MART_KEYS", "MartComparison", "ParityReport", "compare_marts", "count_differences",
           "load_mart"]

# The key that identifies one row of each published mart (its grain).
MART_KEYS: dict[str, tuple[str, ...]] = {
    "person_cases": ("person_case_id",),
    "person_identities": ("person_token",),
    "case_events": ("event_id",),
    "time_limit_checks": ("person_case_id", "stage"),
    "detector_findings": ("finding_id",),
    "scoreboard_daily": ("period_start", "region_level", "region_code", "indicator"),
    "scoreboard_monthly": ("period_start", "region_level", "region_code", "indicator"),
    "scoreboard_quarterly": ("period_start", "region_level", "region_code", "indicator"),
}

Rows = list[dict[str, Any]]
Side = str | Path | Mapping[str, Iterable[Mapping[str, Any]]]


@dataclass
class MartComparison:
    """The outcome for one mart; ``ok`` when both sides hold the same rows and columns."""

    mart: str
    rows_left: int
    rows_right: int
    columns_only_left: list[str] = field(default_factory=list)
    columns_only_right: list[str] = field(default_factory=list)
    duplicate_keys: int = 0
    keys_only_left: list[tuple] = field(default_factory=list)
    keys_only_right: list[tuple] = field(default_factory=list)
    mismatches: list[tuple[tuple, str, Any, Any]] = field(default_factory=list)
    mismatch_count: int = 0
    rows_compared: int = 0  # rows present on both sides, compared column by column

    @property
    def ok(self) -> bool:
        return not (self.columns_only_left or self.columns_only_right or self.duplicate_keys
                    or self.keys_only_left or self.keys_only_right or self.mismatch_count)

    def describe(self) -> str:
        head = (f"{self.mart}: {self.rows_left} vs {self.rows_right} rows, "
                f"{self.rows_compared} compared, {self.mismatch_count} differing values")
        parts = [head]
        if self.columns_only_left or self.columns_only_right:
            parts.append(f"  columns only left {self.columns_only_left}, "
                         f"only right {self.columns_only_right}")
        if self.duplicate_keys:
            parts.append(f"  {self.duplicate_keys} duplicate keys {MART_KEYS.get(self.mart)}")
        if self.keys_only_left or self.keys_only_right:
            parts.append(f"  keys only left {self.keys_only_left[:5]}, "
                         f"only right {self.keys_only_right[:5]}")
        for key, column, left, right in self.mismatches[:10]:
            parts.append(f"  {key} {column}: {left!r} != {right!r}")
        return "\n".join(parts)


@dataclass
class ParityReport:
    """Per-mart comparisons; ``ok`` when every mart matches."""

    marts: dict[str, MartComparison]

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.marts.values())

    def summary(self) -> str:
        return "\n".join(m.describe() for m in self.marts.values())


def load_mart(side: Side, mart: str) -> Rows:
    """Every row of ``mart`` from a DuckDB file, a Parquet export folder or in-memory rows."""
    if isinstance(side, Mapping):
        return [dict(r) for r in side[mart]]
    path = Path(side)
    if path.is_dir():
        files = path / mart
        if not any(files.glob("*.parquet")):
            raise FileNotFoundError(f"no Parquet export of mart {mart!r} under {files}; "
                                    "export the Spark marts first (spark.export_marts)")
        with duckdb.connect() as con:
            return _fetch(con, f"select * from read_parquet('{files.as_posix()}/*.parquet')")
    if not path.is_file():
        raise FileNotFoundError(f"{path} is neither a DuckDB build nor a Parquet export folder")
    with duckdb.connect(str(path), read_only=True) as con:
        return _fetch(con, f'select * from main."{mart}"')


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> Rows:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def _same(left: Any, right: Any, rel_tol: float, abs_tol: float) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _same(a, b, rel_tol, abs_tol) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(
            _same(left[k], right[k], rel_tol, abs_tol) for k in left)
    return left == right


def _key(row: Mapping[str, Any], key_columns: Sequence[str]) -> tuple:
    return tuple(_normalise(row[c]) for c in key_columns)


def _sort_key(key: tuple) -> tuple:
    return tuple((v is None, str(v)) for v in key)


def _compare_rows(mart: str, left: Rows, right: Rows, key_columns: Sequence[str],
                  rel_tol: float, abs_tol: float, max_examples: int) -> MartComparison:
    result = MartComparison(mart, len(left), len(right))
    cols_left = list(left[0]) if left else []
    cols_right = list(right[0]) if right else []
    result.columns_only_left = [c for c in cols_left if c not in cols_right]
    result.columns_only_right = [c for c in cols_right if c not in cols_left]
    shared = [c for c in cols_left if c in cols_right]
    by_key_left = {_key(r, key_columns): r for r in left}
    by_key_right = {_key(r, key_columns): r for r in right}
    result.duplicate_keys = (len(left) - len(by_key_left)) + (len(right) - len(by_key_right))
    result.keys_only_left = sorted(by_key_left.keys() - by_key_right.keys(), key=_sort_key)
    result.keys_only_right = sorted(by_key_right.keys() - by_key_left.keys(), key=_sort_key)
    common = sorted(by_key_left.keys() & by_key_right.keys(), key=_sort_key)
    result.rows_compared = len(common)
    for key in common:
        row_left, row_right = by_key_left[key], by_key_right[key]
        for column in shared:
            a, b = _normalise(row_left[column]), _normalise(row_right[column])
            if not _same(a, b, rel_tol, abs_tol):
                result.mismatch_count += 1
                if len(result.mismatches) < max_examples:
                    result.mismatches.append((key, column, row_left[column], row_right[column]))
    return result


def compare_marts(
    left: Side,
    right: Side,
    marts: Sequence[str] = tuple(MART_KEYS),
    *,
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-9,
    max_examples: int = 20,
) -> ParityReport:
    """Compare ``marts`` of two builds row for row, matched on each mart's key (MART_KEYS).

    ``left``/``right``: a DuckDB build file, a folder of Parquet exports, or a mapping of mart
    name to rows. Floats are equal within ``rel_tol``/``abs_tol``; every other value exactly.
    """
    report: dict[str, MartComparison] = {}
    for mart in marts:
        if mart not in MART_KEYS:
            raise KeyError(f"no key known for mart {mart!r}; add it to compare.MART_KEYS")
        report[mart] = _compare_rows(mart, load_mart(left, mart), load_mart(right, mart),
                                     MART_KEYS[mart], rel_tol, abs_tol, max_examples)
    return ParityReport(report)


def count_differences(left: Path, right: Path, marts: Sequence[str] = tuple(MART_KEYS),
                      *, digits: int = 9, memory_limit: str | None = None
                      ) -> dict[str, dict[str, int]]:
    """Rows of each mart found on one side only, counted inside DuckDB: for two DuckDB builds
    too large to hold in Python (the benchmark's daily build against a full rebuild).
    Floating-point columns are compared rounded to ``digits`` decimals; ``memory_limit``
    (e.g. the settings' duckdb_memory_limit) makes DuckDB spill instead of growing."""
    con = connect(memory_limit=memory_limit)
    try:
        con.execute(f"attach {literal(str(left))} as l (read_only)")
        con.execute(f"attach {literal(str(right))} as r (read_only)")
        out = {}
        for mart in marts:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = 'l' and table_schema = 'main' and table_name = ? "
                "order by ordinal_position", [mart]).fetchall()
            select = ", ".join(
                f"round({ident(name)}, {digits})" if kind in ("DOUBLE", "FLOAT") else ident(name)
                for name, kind in columns)

            def only(a: str, b: str, mart: str = mart, select: str = select) -> int:
                return con.execute(
                    f"select count(*) from (select {select} from {a}.main.{ident(mart)} "
                    f"except all select {select} from {b}.main.{ident(mart)})").fetchone()[0]

            rows = con.execute(f"select count(*) from l.main.{ident(mart)}").fetchone()[0]
            out[mart] = {"rows": rows,
                         "only_left": only("l", "r"), "only_right": only("r", "l")}
        return out
    finally:
        con.close()
