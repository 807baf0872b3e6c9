"""Streamed readers yield exactly what the whole-file readers yielded, from bytes or any stream.

The oracle below is the bytes-based reading (whole file split into lines, or parsed as one
tree, then per-piece recovery) as it was before the readers streamed; it is kept here only
to compare against. The helpers it calls per record (field splitting, JSON rows, record
rows, broken pieces) did not change and are shared.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import tempfile
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_exchange.contracts import court, justice, police, procuratorate, readers, streams
from shared_exchange.contracts import xml_reader as xr
from shared_exchange.contracts.records import ParsedRow, RowError, field_aliases

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- the oracle: whole-file readers as they were ----------------------------------------

def _old_jsonl(data: bytes, contract):
    aliases = field_aliases(contract)
    data = data.removeprefix(codecs.BOM_UTF8)
    for number, line in enumerate(data.split(b"\n"), start=1):
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
        yield readers._json_row(number, obj, aliases, raw, "\\u" in text)


def _old_records(lines, start, quote):
    i, n = start, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        j, quotes = i, lines[i].count(quote)
        while quotes % 2 and j + 1 < n:
            j += 1
            quotes += lines[j].count(quote)
        yield i, j
        i = j + 1


def _old_bytes(lines, first, last):
    raw = b"\n".join(lines[first:last + 1])
    return raw[:-1] if raw.endswith(b"\r") else raw


def _old_csv(data: bytes, contract):
    aliases = field_aliases(contract)
    for bom in (codecs.BOM_UTF8, readers._GB18030_BOM):
        if data.startswith(bom):
            data = data[len(bom):]
            break
    lines = data.split(b"\n")
    encoding = "utf-8" if contract.encoding == "utf-8-sig" else contract.encoding
    quote = contract.quotechar.encode("ascii")
    head = next(_old_records(lines, 0, quote), None)
    if head is None:
        return
    try:
        text = _old_bytes(lines, *head).decode(contract.encoding)
        header = [h.strip().lstrip("\ufeff") for h in readers._split_fields(text, contract)]
    except (UnicodeDecodeError, csv.Error):
        header = None
    if header is None:
        for first, last in _old_records(lines, head[1] + 1, quote):
            yield RowError(first + 1, None, "bad_header",
                           f"line {first + 1}: the header row (line {head[0] + 1}) cannot be "
                           f"read as {contract.encoding} CSV", _old_bytes(lines, first, last))
        return
    columns = [aliases.get(h) for h in header]
    extras = tuple(h for h, c in zip(header, columns, strict=True) if c is None)
    missing = [f for f in contract.fields if f.column not in columns and not f.optional_column]
    picks = [(i, c) for i, c in enumerate(columns) if c is not None]
    width = len(header)
    if missing:
        names = ", ".join(f"{f.name} ({f.column})" for f in missing)
        for first, last in _old_records(lines, head[1] + 1, quote):
            yield RowError(first + 1, missing[0].column, "missing_column",
                           f"line {first + 1}: the header lacks column(s) {names}; the contract "
                           "requires them (mark optional_column or re-export)",
                           _old_bytes(lines, first, last))
        return
    i = head[1] + 1
    while (found := next(_old_records(lines, i, quote), None)) is not None:
        first, last = found
        raw, line = _old_bytes(lines, first, last), first + 1
        try:
            fields = readers._split_fields(raw.decode(encoding), contract)
        except UnicodeDecodeError as exc:
            yield RowError(line, None, "decode_error",
                           f"line {line}: not valid {contract.encoding} at byte {exc.start}; "
                           "re-export the file in that encoding", raw)
            i = last + 1
            continue
        except csv.Error:
            fields = None
        if fields is None or len(fields) != width:
            got = "unreadable quoting" if fields is None else f"{len(fields)} fields"
            if last > first:
                raw, last, got = _old_bytes(lines, first, first), first, "an unclosed quote"
            yield RowError(line, None, "field_count",
                           f"line {line}: {got} where the header has {width} fields; the "
                           "line is truncated or its quoting is broken", raw)
            i = last + 1
            continue
        yield ParsedRow(line, {c: fields[k] for k, c in picks}, raw, extras)
        i = last + 1


def _old_xml(data: bytes, contract):
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError):
        yield from _old_recover(data, contract)
        return
    counter = [0]
    for record in root.iter(contract.record_element):
        yield from xr._record_rows(record, contract, counter)


def _old_recover(data: bytes, contract):
    record = contract.record_element
    starts = [m.start() for m in xr._record_start(record).finditer(data)]
    self_closing = re.compile(b"<" + re.escape(record.encode()) + xr._ATTRS + b"/>")
    closing = b"</" + record.encode() + b">"
    row_start = xr._record_start(contract.row_element) if contract.row_element else None
    counter = [0]
    for k, start in enumerate(starts):
        piece = data[start:starts[k + 1] if k + 1 < len(starts) else len(data)]
        short = self_closing.match(piece)
        if short:
            piece = piece[:short.end()]
        elif closing in piece:
            piece = piece[:piece.rindex(closing) + len(closing)]
        try:
            element = ET.fromstring(piece)
        except (ET.ParseError, ValueError, LookupError) as exc:
            yield from xr._broken(piece.strip(), k + 1, exc, contract, row_start, counter)
            continue
        yield from xr._record_rows(element, contract, counter)


_ORACLE = {"jsonl": _old_jsonl, "csv": _old_csv, "xml": _old_xml}


# ---- streams that deliver the same bytes differently ------------------------------------

class _Trickle(io.RawIOBase):
    """A seekable stream handing out at most ``step`` bytes per read: every line, token and
    element boundary falls across reads somewhere."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step = io.BytesIO(data), step

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._data.seek(offset, whence)

    def readinto(self, buffer) -> int:
        chunk = self._data.read(min(len(buffer), self._step))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _assert_streams_match_oracle(data: bytes, contract, step: int) -> None:
    expected = list(_ORACLE[contract.format](data, contract))
    assert list(readers.read_records(data, contract)) == expected
    assert list(readers.read_records(_Trickle(data, step), contract)) == expected
    with tempfile.TemporaryFile() as on_disk:  # a real file: XML recovery maps it
        on_disk.write(data)
        on_disk.seek(0)
        assert list(readers.read_records(on_disk, contract)) == expected


steps = st.integers(min_value=1, max_value=9)
seps = st.sampled_from([b"\n", b"\r\n"])


@st.composite
def _document(draw, pieces: list[bytes], head: st.SearchStrategy[bytes]) -> bytes:
    lines = draw(st.lists(st.one_of(st.sampled_from(pieces), st.binary(max_size=8)),
                          max_size=14))
    sep = draw(seps)
    body = sep.join([draw(head), *lines]) + draw(st.sampled_from([b"", sep]))
    return draw(st.sampled_from([b"", codecs.BOM_UTF8, readers._GB18030_BOM])) + body


_JSON = [b'{"ajbh": "A1", "ay": "x", "zz": 1}', b'{"ajbh": "A2", "ay', b"[1, 2]", b"\xff{}",
         b'{"ajbh": {"n": 1}}', b"", b"  \t", b"\r", b'{"ay": "\\ud800"}', b"null",
         codecs.BOM_UTF8 + b'{"ay": "b"}', '{"ay": "盗窃罪", "larq": true}'.encode()]


@FAST
@given(_document(_JSON, st.sampled_from(_JSON)), steps)
def test_jsonl_streamed_equals_whole_file(data, step):
    _assert_streams_match_oracle(data, police.contract("cases.jsonl"), step)


_LEGAL_AID = [b"person_id_no,case_ref,stage,assigned_date,updated_at",
              b"person_id_no,case_ref,assigned_date,updated_at", b'"person_id_no,\xff',
              b'"person_id_no","case_ref",stage,assigned_date,updated_at,extra']
_SUPPLEMENTARY = ["部门受案号,退回日期,重新移送日期,次数".encode("gb18030"),
                  '"部门受案号",退回日期,"次'.encode("gb18030")]
_CSV = [b"1,r1,\xe4\xbe\xa6\xe6\x9f\xa5,2022-01-01,t", b'2,"r2, x",s,d,t', b'3,"multi',
        b'line",s,d,t', b'"', b"4,r4", b"", b" ", b"\xff,a,b,c,d", b'5,"a""b",c,d,e',
        b'x,y,z,"unclosed', b'a,b"c,d,e,f', "杭,2022-03-12,,1".encode("gb18030"), b"a,b,c,d"]


@FAST
@given(st.sampled_from([("legal_aid.csv", _LEGAL_AID), ("supplementary_investigations.csv",
                                                         _SUPPLEMENTARY)]),
       st.data(), steps)
def test_csv_streamed_equals_whole_file(file_and_headers, data, step):
    name, headers = file_and_headers
    contract = (justice if name == "legal_aid.csv" else procuratorate).contract(name)
    blob = data.draw(_document(_CSV + headers, st.sampled_from(headers)))
    _assert_streams_match_oracle(blob, contract, step)


_CASES = [b'<case case_no="c1" filed="2022"><defendant id_no="1" name="n"/>'
          b'<defendant name="m" qq="1"/></case>', b'<case case_no="c2"/>', b"<case procedure='x",
          b'<defendant name="d"/>', b"</case>", b"<!-- note -->", b"<!-- <case c='x'/> -->",
          b"text &amp; more", b'<other a="1"><case/></other>', b'<case a=">">\n<defendant/>\n',
          b"\xff", '<case case_no="号"><defendant name="名"/></case>'.encode(), b"<?pi x?>",
          b"<case a='1'><case b='2'><defendant/></case><defendant/></case>", b"<case><x>"]
_ENFORCEMENTS = [b'<enforcement case_no="e1" due="1"/>', b'<enforcement case_no="e2">',
                 b"</enforcement>", b'<enforcement due="2"/ >', b"<enforcement", b"<x/>"]


@FAST
@given(st.sampled_from([("judgments.xml", b"judgments", _CASES),
                        ("enforcement.xml", b"enforcements", _ENFORCEMENTS)]),
       st.data(), steps)
def test_xml_streamed_equals_whole_file(file_root_pieces, data, step):
    name, root, pieces = file_root_pieces
    body = b"".join(data.draw(st.lists(st.sampled_from(pieces), max_size=10)))
    blob = (data.draw(st.sampled_from([b"", b'<?xml version="1.0" encoding="UTF-8"?>\n',
                                       codecs.BOM_UTF8]))
            + b"<" + root + b">" + body + b"</" + root + b">")
    if data.draw(st.booleans()):  # cut or overwrite anywhere, as in transfer damage
        cut = data.draw(st.integers(min_value=0, max_value=len(blob)))
        junk = data.draw(st.binary(max_size=3))
        blob = blob[:cut] + junk + blob[cut + len(junk):]
    _assert_streams_match_oracle(blob, court.contract(name), step)


def test_well_formed_xml_drops_each_record_once_read(monkeypatch):
    """The root holds what the parser has run ahead (one 16 KiB read), not the document."""
    held: list[int] = []
    roots: list[ET.Element] = []
    iterparse, record_rows = ET.iterparse, xr._record_rows

    def watched(source, events):
        for event, element in iterparse(source, events):
            roots.append(element) if not roots else None
            yield event, element

    def spy(record, contract, counter):
        held.append(len(roots[0]))
        return record_rows(record, contract, counter)

    monkeypatch.setattr(xr.ET, "iterparse", watched)
    monkeypatch.setattr(xr, "_record_rows", spy)
    record = b'<enforcement case_no="e" due="1"/>'
    blob = b"<enforcements>" + record * 5000 + b"</enforcements>"
    parsed = list(readers.read_records(blob, court.contract("enforcement.xml")))
    assert len(parsed) == 5000 and [p.line for p in parsed] == list(range(1, 5001))
    assert max(held) <= 16 * 1024 // len(record) + 2 and len(roots[0]) == 0


class _Watched(streams.PhysicalLines):
    """PhysicalLines recording the most lines it ever held for pushback."""

    most = 0

    def push_back(self, lines: list[bytes]) -> None:
        super().push_back(lines)
        _Watched.most = max(_Watched.most, self.held)


def test_csv_unclosed_quote_lookahead_is_capped(monkeypatch):
    monkeypatch.setattr(readers, "PhysicalLines", _Watched)
    _Watched.most = 0
    cap = readers.MAX_RECORD_LINES
    header = b"person_id_no,case_ref,stage,assigned_date,updated_at\r\n"
    good = [b"%d,r%d,s,2022-01-01,t\r\n" % (i, i) for i in range(3 * cap)]
    blob = header + good[0] + b'x,"open,s,d,t\r\n' + b"".join(good[1:])
    parsed = list(justice.parse("legal_aid.csv", io.BytesIO(blob)))
    errors = [p for p in parsed if isinstance(p, RowError)]
    assert [(e.line, e.reason_code) for e in errors] == [(3, "field_count")]
    assert "an unclosed quote" in errors[0].reason and errors[0].raw == b'x,"open,s,d,t'
    rows = [p for p in parsed if isinstance(p, ParsedRow)]
    assert len(rows) == len(good) and rows[-1].line == len(good) + 2  # none lost after it
    assert 0 < _Watched.most <= cap
    # Under the cap nothing changes: the same quote closed within the cap spans the lines.
    near = header + b'x,"open\r\n' + b"more\r\n" * (cap - 2) + b'end",s,d,t\r\n' + good[0]
    parsed = list(justice.parse("legal_aid.csv", near))
    assert parsed == list(_old_csv(near, justice.contract("legal_aid.csv")))
    assert isinstance(parsed[0], ParsedRow) and parsed[1].line == cap + 2


def test_physical_lines_match_split_and_push_back():
    for data in (b"", b"a", b"a\n", b"a\r\nb\n\n", b"\n\n"):
        lines = streams.PhysicalLines(io.BytesIO(data))
        got = []
        while (line := lines.next()) is not None:
            got.append((lines.number, line))
        assert got == list(enumerate(data.split(b"\n"), start=1))
    lines = streams.PhysicalLines(io.BytesIO(b"\xef\xbb\xbfa\nb\nc"), (codecs.BOM_UTF8,))
    assert [lines.next(), lines.next()] == [b"a", b"b"]
    lines.push_back([b"b"])
    assert (lines.number, lines.next(), lines.next(), lines.next()) == (1, b"b", b"c", None)


def test_broken_xml_on_disk_recovers_the_same_while_releasing_scanned_pages(monkeypatch):
    monkeypatch.setattr(xr, "_RELEASE_BYTES", 0)  # release after every piece
    contract = court.contract("judgments.xml")
    case = '<case case_no="c{}" procedure="普通"><defendant name="d"/></case>\n'
    blob = ("<judgments>" + "".join(case.format(i) for i in range(3000)) + "</judgments>")
    blob = blob.encode().replace(b'"c2500"', b'"c<2500"')  # breaks it after 2500 records
    with tempfile.TemporaryFile() as on_disk:
        on_disk.write(blob)
        on_disk.seek(0)
        parsed = list(readers.read_records(on_disk, contract))
    assert parsed == list(_old_xml(blob, contract))
    assert [p.reason_code for p in parsed if isinstance(p, RowError)] == ["malformed_xml"]
