"""XML reader: record elements (optionally holding row elements) → rows, recovering from bad XML.

Case-scoped attributes of a record element are copied onto each of its rows. A document
that is not well-formed is cut at each record element's start tag and every piece is
parsed on its own, so one broken element costs only its own rows; an unreadable piece
yields one RowError per row element it appears to hold (at least one), which keeps the
count a manifest states.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from shared_exchange.contracts.records import Parsed, ParsedRow, RowError, field_aliases
from shared_exchange.contracts.schema import Contract

# An attribute value may hold '>' inside quotes; this matches a whole start tag.
_ATTRS = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""


def _record_start(tag: str) -> re.Pattern[bytes]:
    return re.compile(b"<" + re.escape(tag.encode()) + rb"(?=[\s/>])")


def read_xml(data: bytes, contract: Contract) -> Iterator[Parsed]:
    """Rows of a ``record_element`` (and ``row_element``) document; never raises."""
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError):
        yield from _recover(data, contract)
        return
    counter = [0]
    for record in root.iter(contract.record_element):
        yield from _record_rows(record, contract, counter)


def _attributes(element: ET.Element, aliases: dict[str, str],
                values: dict[str, str | None], extras: list[str]) -> None:
    for name, value in element.attrib.items():
        column = aliases.get(name)
        if column is None:
            extras.append(name)
        else:
            values[column] = value


def _record_rows(record: ET.Element, contract: Contract, counter: list[int]) -> Iterator[Parsed]:
    """Rows of one well-formed record element; ``counter`` numbers rows across the file."""
    if not contract.row_element:
        counter[0] += 1
        values: dict[str, str | None] = {}
        extras: list[str] = []
        _attributes(record, field_aliases(contract), values, extras)
        yield ParsedRow(counter[0], values, _serialise(record), tuple(extras))
        return
    case_values: dict[str, str | None] = {}
    case_extras: list[str] = []
    _attributes(record, field_aliases(contract, "case"), case_values, case_extras)
    rows = record.findall(contract.row_element)
    if not rows:
        counter[0] += 1
        yield RowError(counter[0], contract.row_element, "empty_record",
                       f"<{contract.record_element}> #{counter[0]} has no "
                       f"<{contract.row_element}> element; it carries no row to load",
                       _serialise(record))
        return
    row_aliases = field_aliases(contract, "row")
    for row in rows:
        counter[0] += 1
        values = dict(case_values)
        extras = list(case_extras)
        _attributes(row, row_aliases, values, extras)
        # The delivered element for replay: the record's attributes around this one row.
        inner = _serialise(row).decode("utf-8")
        yield ParsedRow(counter[0], values, (f"{_start_tag(record)}>{inner}</{record.tag}>"
                                             ).encode(), tuple(extras))


_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _start_tag(element: ET.Element) -> str:
    attrs = "".join(f' {k}="{v.translate(_ATTR_ESCAPES)}"' for k, v in element.attrib.items())
    return f"<{element.tag}{attrs}"


def _serialise(element: ET.Element) -> bytes:
    """The element as XML; attribute-only elements (the usual case) without ET's slow writer."""
    if len(element) == 0 and not (element.text or "").strip():
        return (_start_tag(element) + "/>").encode("utf-8")
    tail, element.tail = element.tail, None
    try:
        return ET.tostring(element, encoding="utf-8", xml_declaration=False)
    finally:
        element.tail = tail


def _recover(data: bytes, contract: Contract) -> Iterator[Parsed]:
    """Parse each record element on its own when the whole document is not well-formed."""
    record = contract.record_element or ""
    starts = [m.start() for m in _record_start(record).finditer(data)]
    self_closing = re.compile(b"<" + re.escape(record.encode()) + _ATTRS + b"/>")
    closing = b"</" + record.encode() + b">"
    row_start = _record_start(contract.row_element) if contract.row_element else None
    counter = [0]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(data)
        piece = data[start:end]
        short = self_closing.match(piece)
        if short:
            piece = piece[:short.end()]
        elif closing in piece:
            piece = piece[:piece.rindex(closing) + len(closing)]
        try:
            element = ET.fromstring(piece)
        except (ET.ParseError, ValueError, LookupError) as exc:
            yield from _broken(piece.strip(), k + 1, exc, contract, row_start, counter)
            continue
        yield from _record_rows(element, contract, counter)


def _broken(piece: bytes, ordinal: int, exc: Exception, contract: Contract,
            row_start: re.Pattern[bytes] | None, counter: list[int]) -> Iterator[Parsed]:
    # ParseError messages give a position ("line 1, column 40"), never document text.
    where = str(exc).split(":")[-1].strip() if isinstance(exc, ET.ParseError) else "encoding"
    rows = max(1, len(row_start.findall(piece))) if row_start else 1
    for _ in range(rows):
        counter[0] += 1
        yield RowError(counter[0], None, "malformed_xml",
                       f"<{contract.record_element}> element #{ordinal} (row {counter[0]}) is "
                       f"not well-formed XML ({where}); fix and re-deliver the element", piece)
