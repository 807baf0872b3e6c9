"""Format readers (JSONL, CSV, XML): a delivered file's stream → rows or row errors, never raising.

Every delivered record comes out as exactly one ``ParsedRow`` or ``RowError`` (XML: one per
row element, see ``read_xml``), so a batch can always account for what it was sent. Values
are keyed by the contract's canonical ``column`` names; what a field is *called* in a
delivery is resolved through every version of the contract (``field_aliases``), so a
renamed column is read under both its old and its new name. Readers take a binary stream
(or bytes) and hold one record at a time, never the whole file (``streams``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from shared_exchange.contracts.records import Parsed, ParsedRow, RowError, field_aliases
from shared_exchange.contracts.schema import (
    Contract,
    ContractError,
    all_contracts,
    contract_for_file,
)
from shared_exchange.contracts.streams import Delivered, PhysicalLines, binary_stream
from shared_exchange.contracts.xml_reader import read_xml

__all__ = ["MAX_RECORD_LINES", "Delivered", "DepartmentParser", "Parsed", "ParsedRow", "RowError",
           "field_aliases", "read_csv", "read_jsonl", "read_records", "read_xml"]

_GB18030_BOM = b"\x84\x31\x95\x33"
# Physical lines one quoted CSV record may span. An unclosed quote would otherwise pull the
# rest of the file into one record (and into memory); past this many lines the record is
# reported as an unclosed quote on its first line and reading goes on from the next line.
MAX_RECORD_LINES = 1000


def _to_text(value: object) -> str | None:
    """A JSON scalar as the string a CSV or XML delivery would have carried."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise TypeError(type(value).__name__)


def _encodable(values: dict[str, str | None]) -> bool:
    """False when a JSON escape produced a lone surrogate that no file format can store."""
    try:
        for v in values.values():
            if v is not None:
                v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_jsonl(data: Delivered, contract: Contract) -> Iterator[Parsed]:
    """One JSON object per line; blank lines are not records."""
    aliases = field_aliases(contract)
    for number, line in enumerate(binary_stream(data), start=1):
        if line.endswith(b"\n"):
            line = line[:-1]
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8):]
        raw = line[:-1] if line.endswith(b"\r") else line
        if not raw.strip():
            continue
        try:
            text = raw.decode(contract.encoding)
        except UnicodeDecodeError as exc:
            yield RowError(number, None, "decode_error",
                           f"line {number}: not valid {contract.encoding} at byte {exc.start}; "
                           "re-export the file in that encoding", raw)
            continue
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            msg = getattr(exc, "msg", "nested too deeply")
            yield RowError(number, None, "malformed_json",
                           f"line {number}: not a complete JSON object ({msg}); "
                           "the line is truncated or corrupt", raw)
            continue
        if not isinstance(obj, dict):
            yield RowError(number, None, "not_an_object",
                           f"line {number}: a JSON {type(obj).__name__}, expected an object",
                           raw)
            continue
        yield _json_row(number, obj, aliases, raw, "\\u" in text)


def _json_row(number: int, obj: dict, aliases: dict[str, str], raw: bytes,
              escapes: bool) -> Parsed:
    values: dict[str, str | None] = {}
    extras: list[str] = []
    for key, value in obj.items():
        column = aliases.get(key)
        if column is None:
            extras.append(key)
        elif type(value) is str:  # the common case, kept cheap
            values[column] = value
        else:
            try:
                values[column] = _to_text(value)
            except TypeError as exc:
                return RowError(number, column, "bad_value_type",
                                f"line {number}: field {key} ({column}) is a JSON {exc}, "
                                "expected a string, number, boolean or null", raw)
    if escapes and not _encodable(values):
        return RowError(number, None, "decode_error",
                        f"line {number}: a \\u escape encodes a lone surrogate", raw)
    return ParsedRow(number, values, raw, tuple(extras))


def _split_fields(text: str, contract: Contract) -> list[str]:
    if contract.quotechar not in text:
        return text.split(contract.delimiter)  # same result as csv for unquoted lines, faster
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=contract.delimiter,
                              quotechar=contract.quotechar, strict=True))
    if len(records) != 1:
        raise csv.Error(f"{len(records)} records where one was expected")
    return records[0]


def _next_record(lines: PhysicalLines, quote: bytes) -> tuple[int, list[bytes], bool] | None:
    """The next non-blank record: its first line number, its physical lines (following quoted
    newlines) and False when its quote stays open past MAX_RECORD_LINES (then it is its first
    line only and the lines after it are pushed back to be read again).

    The quote, delimiter and newline bytes never occur inside a multi-byte UTF-8 or GB18030
    character, so quote parity on bytes is safe before decoding.
    """
    line = lines.next()
    while line is not None and not line.strip():
        line = lines.next()
    if line is None:
        return None
    first, record, quotes = lines.number, [line], line.count(quote)
    while quotes % 2:
        more = lines.next()
        if more is None:
            break
        if len(record) == MAX_RECORD_LINES:
            lines.push_back([*record[1:], more])
            return first, record[:1], False
        record.append(more)
        quotes += more.count(quote)
    return first, record, True


def _record_bytes(record: list[bytes]) -> bytes:
    raw = b"\n".join(record) if len(record) > 1 else record[0]
    return raw[:-1] if raw.endswith(b"\r") else raw


def _each_record(lines: PhysicalLines, quote: bytes) -> Iterator[tuple[int, bytes]]:
    while (found := _next_record(lines, quote)) is not None:
        yield found[0], _record_bytes(found[1])


def read_csv(data: Delivered, contract: Contract) -> Iterator[Parsed]:
    """A header row then records; per-record decoding so one bad line costs only itself."""
    aliases = field_aliases(contract)
    lines = PhysicalLines(binary_stream(data), (codecs.BOM_UTF8, _GB18030_BOM))
    # The BOM is gone; Python's utf-8-sig codec is pure Python and slow per record.
    encoding = "utf-8" if contract.encoding == "utf-8-sig" else contract.encoding
    quote = contract.quotechar.encode("ascii")
    head = _next_record(lines, quote)
    if head is None:
        return
    try:
        header_text = _record_bytes(head[1]).decode(contract.encoding)
        header = [h.strip().lstrip("\ufeff") for h in _split_fields(header_text, contract)]
    except (UnicodeDecodeError, csv.Error):
        header = None
    if header is None:
        for first, raw in _each_record(lines, quote):
            yield RowError(first, None, "bad_header",
                           f"line {first}: the header row (line {head[0]}) cannot be "
                           f"read as {contract.encoding} CSV", raw)
        return
    columns = [aliases.get(h) for h in header]
    extras = tuple(h for h, c in zip(header, columns, strict=True) if c is None)
    missing = [f for f in contract.fields
               if f.column not in columns and not f.optional_column]
    if missing:
        names = ", ".join(f"{f.name} ({f.column})" for f in missing)
        for first, raw in _each_record(lines, quote):
            yield RowError(first, missing[0].column, "missing_column",
                           f"line {first}: the header lacks column(s) {names}; the contract "
                           "requires them (mark optional_column or re-export)", raw)
        return
    picks = [(i, c) for i, c in enumerate(columns) if c is not None]
    yield from _csv_rows(lines, quote, contract, encoding, len(header), picks, extras)


def _csv_rows(lines: PhysicalLines, quote: bytes, contract: Contract, encoding: str,
              width: int, picks: list[tuple[int, str]],
              extras: tuple[str, ...]) -> Iterator[Parsed]:
    while (found := _next_record(lines, quote)) is not None:
        line, record, closed = found
        raw = _record_bytes(record)
        fields: list[str] | None = None
        if closed:
            try:
                fields = _split_fields(raw.decode(encoding), contract)
            except UnicodeDecodeError as exc:
                yield RowError(line, None, "decode_error",
                               f"line {line}: not valid {contract.encoding} at byte "
                               f"{exc.start}; re-export the file in that encoding", raw)
                continue
            except csv.Error:
                pass
        if fields is None or len(fields) != width:
            got = "unreadable quoting" if fields is None else f"{len(fields)} fields"
            if not closed or len(record) > 1:
                # An unbalanced quote swallowed the lines after it: report only the first
                # line and read on from the next one, so later rows are not lost.
                lines.push_back(record[1:])
                raw, got = _record_bytes(record[:1]), "an unclosed quote"
            yield RowError(line, None, "field_count",
                           f"line {line}: {got} where the header has {width} fields; the "
                           "line is truncated or its quoting is broken", raw)
            continue
        yield ParsedRow(line, {c: fields[k] for k, c in picks}, raw, extras)


def read_records(data: Delivered, contract: Contract) -> Iterator[Parsed]:
    """The reader for the contract's ``format``."""
    readers = {"jsonl": read_jsonl, "csv": read_csv, "xml": read_xml}
    return readers[contract.format](data, contract)


@dataclass(frozen=True)
class DepartmentParser:
    """One department's delivery: its files, format and encoding, checked against the contract."""

    source: str
    format: str
    encoding: str
    files: tuple[str, ...]

    def contract(self, file_name: str, contract_version: int | str = 1) -> Contract:
        """The contract for a delivered file; KeyError for a file this department never sends."""
        contract = contract_for_file(self.source, file_name, contract_version)
        if contract is None or file_name not in self.files:
            raise KeyError(f"{self.source} delivers no file {file_name!r} under contract "
                           f"v{contract_version}; expected one of {list(self.files)}")
        return contract

    def parse(self, file_name: str, data: Delivered,
              contract_version: int | str = 1) -> Iterator[Parsed]:
        """Every delivered row of ``file_name`` as a ParsedRow or RowError; never raises on data."""
        return read_records(data, self.contract(file_name, contract_version))

    def check(self) -> None:
        """Raise ContractError unless the schemas describe exactly what this parser reads."""
        mine = [c for c in all_contracts() if c.source == self.source]
        for c in mine:
            if (c.format, c.encoding) != (self.format, self.encoding) or c.file not in self.files:
                raise ContractError(f"{c.source}/{c.table} v{c.version}: {c.file} as {c.format} "
                                    f"{c.encoding} is not what the {self.source} parser reads")
            if c.format == "xml" and not c.record_element:
                raise ContractError(f"{c.source}/{c.table}: xml contract needs record_element")
        missing = set(self.files) - {c.file for c in mine}
        if missing:
            raise ContractError(f"{self.source}: no contract for {sorted(missing)}")
