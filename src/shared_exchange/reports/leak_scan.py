"""The PII-leak scan: clear IDs, phones and names anywhere outside the landing zone.

Walks SHARED_EXCHANGE_HOME (except ``landing/``, where clear PII legitimately arrives) and
the dbt artefact folders, reading each file the way its format stores text: DuckDB files
through a read-only connection (every VARCHAR/BLOB-like column of every base table),
Parquet through pyarrow (string and binary columns; ``*_enc`` ciphertext is skipped),
SQLite (Airflow's metadata DB) as bytes plus its ``xcom`` table, everything else as bytes
in UTF-8 and, when not valid UTF-8, GB18030. Findings carry only masked excerpts.
"""

from __future__ import annotations

import bisect
import logging
import os
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared_exchange.config import PROJECT_ROOT, Settings
from shared_exchange.reports.leak_patterns import (
    Hit,
    NeedleMatcher,
    Needles,
    find_patterns,
    mask,
    matcher_name,
    redact,
)

__all__ = ["LeakFinding", "LeakReport", "default_roots", "scan_for_leaks"]

log = logging.getLogger(__name__)

MAX_FINDINGS = 500  # kept with excerpts; every finding is still counted
_CONTEXT = 24  # bytes of context on each side of a finding
_CHUNK = 32 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CUT_LEFT = re.compile(r"^[\w\ufffd]+")
_CUT_RIGHT = re.compile(r"[\w\ufffd]+$")


@dataclass(frozen=True)
class LeakFinding:
    file: str
    location: str  # "byte 1234", or "table main.t, column c, row 5"
    kind: str  # id_number | legacy_id | phone | name
    detector: str  # pattern | needle | pattern+needle
    excerpt: str  # masked: never the clear value


@dataclass
class LeakReport:
    roots: list[str]
    needles: dict[str, int]
    needle_source: str
    matcher: str
    findings: list[LeakFinding] = field(default_factory=list)
    total_findings: int = 0
    by_kind: Counter = field(default_factory=Counter)
    files_scanned: int = 0
    bytes_scanned: int = 0
    columns_scanned: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return self.total_findings == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean, "total_findings": self.total_findings,
            "by_kind": dict(self.by_kind), "findings": [f.__dict__ for f in self.findings],
            "roots": self.roots, "needles": self.needles, "needle_source": self.needle_source,
            "matcher": self.matcher, "files_scanned": self.files_scanned,
            "bytes_scanned": self.bytes_scanned, "columns_scanned": self.columns_scanned,
            "skipped": self.skipped, "seconds": round(self.seconds, 3),
        }


def default_roots(settings: Settings) -> list[Path]:
    """The home, and the repo's dbt artefacts and logs (dbt writes them beside the project)."""
    roots = [settings.home]
    for extra in ("dbt_project/target", "dbt_project/logs", "logs"):
        path = PROJECT_ROOT / extra
        if path.is_dir():
            roots.append(path)
    return roots


class _Scanner:
    def __init__(self, report: LeakReport, matcher: NeedleMatcher, excluded: list[Path]) -> None:
        self.report, self.matcher, self.excluded = report, matcher, excluded

    # -- findings --
    def _hits(self, data: bytes, gb18030: bool) -> list[Hit]:
        merged: dict[tuple[int, int], Hit] = {}
        for hit in (*find_patterns(data), *self.matcher.find(data, gb18030=gb18030)):
            seen = merged.get((hit.start, hit.end))
            if seen is not None and seen.detector != hit.detector:
                hit = Hit(hit.start, hit.end, seen.kind, "pattern+needle", seen.value)
            merged[(hit.start, hit.end)] = hit
        return sorted(merged.values(), key=lambda h: h.start)

    def _excerpt(self, data: bytes, hit: Hit, encoding: str, lo: int = 0,
                 hi: int | None = None) -> str:
        hi = len(data) if hi is None else hi
        start, end = max(lo, hit.start - _CONTEXT), min(hi, hit.end + _CONTEXT)
        left = data[start: hit.start].decode(encoding, "replace")
        right = data[hit.end: end].decode(encoding, "replace")
        # The window may cut a name or number in half: drop the cut piece, not show it.
        if start > lo:
            left = _CUT_LEFT.sub("…", left)
        if end < hi:
            right = _CUT_RIGHT.sub("…", right)
        return (redact(left, self.matcher) + "⟦" + mask(hit.kind, hit.value) + "⟧"
                + redact(right, self.matcher)).strip()

    def _add(self, file: str, location: str, hit: Hit, excerpt: str) -> None:
        self.report.total_findings += 1
        self.report.by_kind[hit.kind] += 1
        if len(self.report.findings) < MAX_FINDINGS:
            self.report.findings.append(LeakFinding(file, location, hit.kind, hit.detector,
                                                    excerpt))

    # -- byte files --
    def scan_bytes(self, path: Path, label: str) -> None:
        with path.open("rb") as fh:
            offset = 0
            while True:
                fh.seek(offset)
                data = fh.read(_CHUNK + 64)  # overlap so a value across chunks is seen
                if not data:
                    break
                self.report.bytes_scanned += min(len(data), _CHUNK)
                encoding = _encoding_of(data)
                for hit in self._hits(data, gb18030=encoding == "gb18030"):
                    if hit.start < _CHUNK or len(data) <= _CHUNK:
                        self._add(label, f"byte {offset + hit.start}", hit,
                                  self._excerpt(data, hit, encoding))
                if len(data) <= _CHUNK:
                    break
                offset += _CHUNK

    # -- column values --
    def scan_values(self, values: list[Any], label: str, where: str) -> None:
        """One column's values; row numbers in findings are 1-based."""
        pieces = [v if isinstance(v, bytes) else str(v).encode("utf-8")
                  for v in values if v is not None]
        if not pieces:
            return
        rows = [i + 1 for i, v in enumerate(values) if v is not None]
        starts, pos = [], 0
        for piece in pieces:
            starts.append(pos)
            pos += len(piece) + 1
        data = b"\n".join(pieces)
        self.report.columns_scanned += 1
        self.report.bytes_scanned += len(data)
        binary = any(isinstance(v, bytes) for v in values)
        for hit in self._hits(data, gb18030=binary):
            i = bisect.bisect_right(starts, hit.start) - 1
            lo, hi = starts[i], starts[i] + len(pieces[i])
            self._add(label, f"{where}, row {rows[i]}", hit,
                      self._excerpt(data, hit, "utf-8", lo, hi))

    def skip(self, label: str, reason: str) -> None:
        self.report.skipped.append({"file": label, "reason": reason})


def _encoding_of(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a chunk boundary can split one character: that alone does not make it GB18030
        if exc.start < len(data) - 4:
            return "gb18030"
    return "utf-8"


def _scan_parquet(scanner: _Scanner, path: Path, label: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    for fld in pf.schema_arrow:
        if fld.name.endswith("_enc"):
            continue  # AEAD ciphertext: opaque by construction
        textual = (pa.types.is_string(fld.type) or pa.types.is_large_string(fld.type)
                   or pa.types.is_binary(fld.type) or pa.types.is_large_binary(fld.type)
                   or (pa.types.is_dictionary(fld.type)
                       and pa.types.is_string(fld.type.value_type)))
        if textual:
            values = pf.read(columns=[fld.name]).column(0).to_pylist()
            scanner.scan_values(values, label, f"column {fld.name}")


def _scan_duckdb(scanner: _Scanner, path: Path, label: str) -> None:
    import duckdb

    con = duckdb.connect(str(path), read_only=True,
                         config={"enable_external_access": False})
    try:
        columns = con.execute(
            "SELECT c.table_schema, c.table_name, c.column_name, c.data_type "
            "FROM information_schema.columns c JOIN information_schema.tables t "
            "ON c.table_catalog = t.table_catalog AND c.table_schema = t.table_schema "
            "AND c.table_name = t.table_name WHERE t.table_type = 'BASE TABLE' "
            "ORDER BY 1, 2, c.ordinal_position").fetchall()
        for schema, table, column, dtype in columns:
            if column.endswith("_enc"):
                continue
            if dtype == "BLOB":
                expr = f'"{column}"'
            elif any(t in dtype for t in ("VARCHAR", "JSON", "STRUCT", "MAP", "UNION")):
                expr = f'CAST("{column}" AS VARCHAR)'
            else:
                continue
            values = [r[0] for r in con.execute(f'SELECT {expr} FROM "{schema}"."{table}"')
                      .fetchall()]
            scanner.scan_values(values, label, f"table {schema}.{table}, column {column}")
    finally:
        con.close()


def _scan_sqlite(scanner: _Scanner, path: Path, label: str) -> None:
    scanner.scan_bytes(path, label)  # every page, free lists included
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "xcom" in tables:
            cursor = con.execute("SELECT * FROM xcom")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            for i, name in enumerate(names):
                values = [r[i] if isinstance(r[i], bytes | str | None) else str(r[i])
                          for r in rows]
                scanner.scan_values(values, label, f"table xcom, column {name}")
    finally:
        con.close()


def _scan_file(scanner: _Scanner, path: Path, label: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PAR1"):
        _scan_parquet(scanner, path, label)
    elif head[8:12] == b"DUCK":
        _scan_duckdb(scanner, path, label)
    elif head.startswith(_SQLITE_MAGIC):
        _scan_sqlite(scanner, path, label)
    else:
        scanner.scan_bytes(path, label)


def _walk(root: Path, excluded: list[Path]) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in excluded)
        found.extend(here / f for f in sorted(files))
    return found


def scan_for_leaks(settings: Settings, needles: Needles | None = None,
                   roots: list[Path] | None = None) -> LeakReport:
    """Scan ``roots`` (default: the home and dbt artefacts) for clear PII; never the landing."""
    started = time.perf_counter()
    if needles is None:
        from shared_exchange.reports.needles import needles_from_raw

        needles = needles_from_raw(settings)
    roots = [Path(r).resolve() for r in (roots or default_roots(settings))]
    excluded = [settings.landing.resolve()]
    report = LeakReport([str(r) for r in roots], needles.counts(), needles.source,
                        matcher_name())
    scanner = _Scanner(report, NeedleMatcher(needles), excluded)
    home = settings.home.resolve()
    for root in roots:
        for path in _walk(root, excluded) if root.is_dir() else [root]:
            if not path.is_file() or path.is_symlink():
                continue
            label = str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
            report.files_scanned += 1
            try:
                _scan_file(scanner, path, label)
            except Exception as exc:  # noqa: BLE001 - one unreadable file must not hide the rest
                # An unscanned file is itself a finding for the officer: say which and why.
                log.warning("leak scan: could not read %s as its format (%s); scanning bytes",
                            label, type(exc).__name__)
                scanner.skip(label, f"{type(exc).__name__}: read as bytes instead")
                try:
                    scanner.scan_bytes(path, label)
                except OSError as err:
                    scanner.skip(label, f"unreadable: {err.strerror}")
    report.seconds = time.perf_counter() - started
    log.info("leak scan: %d files, %d findings in %.1fs", report.files_scanned,
             report.total_findings, report.seconds)
    return report
