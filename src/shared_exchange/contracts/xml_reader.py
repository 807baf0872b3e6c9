"""XML reader: record elements (optionally holding row elements) → rows, recovering from bad XML.

Case-scoped attributes of a record element are copied onto each of its rows. The document
is parsed as a stream and each element is dropped from the tree once read, so memory holds
what the parser has run ahead (one 16 KiB read) and the current record, not the file. A
document that is not well-formed is cut at each record element's start tag and every
piece is parsed on its own, so one broken element costs only its own rows; an unreadable
piece yields one RowError per row element it appears to hold (at least one), which keeps
the count a manifest states. When the stream breaks part-way, the records already read
stand and recovery goes on with the pieces after them.
"""

from __future__ import annotations

import mmap
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from shared_exchange.contracts.records import Parsed, ParsedRow, RowError, field_aliases
from shared_exchange.contracts.schema import Contract
from shared_exchange.contracts.streams import Delivered, binary_stream, random_access

# An attribute value may hold '>' inside quotes; this matches a whole start tag.
_ATTRS = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""

# Recovery over a mapped file hands back the pages it has scanned every this many bytes.
_RELEASE_BYTES = 16 * 2**20


def _record_start(tag: str) -> re.Pattern[bytes]:
    return re.compile(b"<" + re.escape(tag.encode()) + rb"(?=[\s/>])")


def read_xml(data: Delivered, contract: Contract) -> Iterator[Parsed]:
    """Rows of a ``record_element`` (and ``row_element``) document; never raises."""
    stream = binary_stream(data)
    counter = [0]
    read = [0]  # record elements read from the stream: the pieces recovery skips
    try:
        yield from _streamed(stream, contract, counter, read)
    except (ET.ParseError, ValueError, LookupError):
        with random_access(stream) as document:
            yield from _recover(document, contract, counter, read[0])


def _streamed(stream: BinaryIO, contract: Contract, counter: list[int], read: list[int],
              skip: int | None = None) -> Iterator[Parsed]:
    """Record by record in document order (as ``root.iter``), each detached once read.

    If the document breaks later, recovery skips one piece per record yielded here. That
    holds only for a record whose piece (up to the next record's start tag) parsed whole,
    so a record is yielded once the next one starts or the document ends; and only while
    records are not nested and no comment, PI or namespace would make recovery cut or read
    pieces differently. Meeting one, nothing more is yielded until the rest has parsed:
    broken, recovery takes over; well-formed, it is read again, skipping what was yielded.
    Not caught (records would then differ from the whole-file recovery of a broken
    document): a record tag inside CDATA, DTD-defined entities, a non-UTF-8 declaration.
    """
    tag = contract.record_element
    marks = (f"<{tag}", f"</{tag}")
    regular = skip is None  # the first reading, not a re-reading after ``skip`` records
    skip = skip or 0
    path: list[ET.Element] = []  # the open elements, root first
    in_record = 0  # open record elements: a nested one is read with its outermost record
    pending: ET.Element | None = None  # the last record read, not yet yielded

    def rows(outermost: ET.Element) -> Iterator[Parsed]:
        nonlocal skip
        for record in outermost.iter(tag):
            if skip:
                skip -= 1
                continue
            read[0] += 1
            yield from _record_rows(record, contract, counter)

    events = ET.iterparse(stream, ("start", "end", "comment", "pi", "start-ns") if regular
                          else ("start", "end"))
    for event, element in events:
        if event == "start":
            path.append(element)
            if element.tag == tag:
                in_record += 1
                if in_record > 1 and regular:
                    break
                if pending is not None:
                    yield from rows(pending)
                    pending = None
            continue
        if event != "end":
            if event == "start-ns" or any(m in (element.text or "") for m in marks):
                break
            continue
        path.pop()
        if element.tag == tag:
            in_record -= 1
            if not in_record:
                pending = element
        if not in_record and path:
            _drop(path[-1], element)
    else:
        if pending is not None:
            yield from rows(pending)
        return
    _drain(events, path)
    stream.seek(0)
    yield from _streamed(stream, contract, counter, read, read[0])


def _drain(events: Iterator[tuple[str, ET.Element]], path: list[ET.Element]) -> None:
    """Parse the rest of the document keeping nothing; ParseError if it is broken."""
    for event, element in events:
        if event == "start":
            path.append(element)
        elif event == "end":
            path.pop()
            if path:
                _drop(path[-1], element)


def _drop(parent: ET.Element, element: ET.Element) -> None:
    """Detach an element that has been read, so the tree holds only what is still to come.

    Nothing looks back at it. The parser runs ahead of the events by one 16 KiB read, so
    the parent may hold later siblings already; but siblings end in order and each is
    dropped at its end, so this one is the parent's first child (O(1) to find).
    """
    if parent[0] is element:
        del parent[0]
    else:
        parent.remove(element)


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


def _recover(data: bytes | memoryview | mmap.mmap, contract: Contract, counter: list[int],
             skip: int = 0) -> Iterator[Parsed]:
    """Parse each record element on its own when the whole document is not well-formed;
    the first ``skip`` pieces were read from the stream already."""
    record = contract.record_element or ""
    self_closing = re.compile(b"<" + re.escape(record.encode()) + _ATTRS + b"/>")
    closing = b"</" + record.encode() + b">"
    row_start = _record_start(contract.row_element) if contract.row_element else None
    starts = (m.start() for m in _record_start(record).finditer(data))
    start, k, released = next(starts, None), 0, 0
    while start is not None:
        end = next(starts, None)
        k += 1
        if k > skip:
            piece = bytes(data[start:len(data) if end is None else end])
            yield from _piece_rows(piece, k, contract, self_closing, closing, row_start,
                                   counter)
        if isinstance(data, mmap.mmap) and start - released > _RELEASE_BYTES:
            # Pages scanned are never read again: unmap them from this process (they stay
            # in the page cache), so resident memory does not grow with the file.
            released = start - start % mmap.PAGESIZE
            data.madvise(mmap.MADV_DONTNEED, 0, released)
        start = end


def _piece_rows(piece: bytes, ordinal: int, contract: Contract, self_closing: re.Pattern[bytes],
                closing: bytes, row_start: re.Pattern[bytes] | None,
                counter: list[int]) -> Iterator[Parsed]:
    short = self_closing.match(piece)
    if short:
        piece = piece[:short.end()]
    elif closing in piece:
        piece = piece[:piece.rindex(closing) + len(closing)]
    try:
        element = ET.fromstring(piece)
    except (ET.ParseError, ValueError, LookupError) as exc:
        yield from _broken(piece.strip(), ordinal, exc, contract, row_start, counter)
        return
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
