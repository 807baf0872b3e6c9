"""Property tests: no input makes a parser raise, and every delivered row is accounted for."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from builders import csv_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_exchange.contracts import court, justice, police, procuratorate
from shared_exchange.contracts.readers import ParsedRow, RowError
from shared_exchange.ingest.validate import validate_rows

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


def _all(items) -> list:
    items = list(items)
    assert all(isinstance(i, ParsedRow | RowError) for i in items)
    return items


@FAST
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    for module, files in ((police, ["suspects.jsonl"]), (procuratorate, ["arrest_reviews.csv"]),
                          (court, ["judgments.xml", "enforcement.xml"]),
                          (justice, ["legal_aid.csv"])):
        for name in files:
            rows = [i for i in _all(module.parse(name, data)) if isinstance(i, ParsedRow)]
            validate_rows(module.contract(name), rows)  # nor does validation


@FAST
@given(st.lists(st.one_of(st.binary(max_size=60), texts.map(str.encode)), max_size=20))
def test_jsonl_every_nonblank_line_is_a_row_or_an_error(lines):
    lines = [ln.replace(b"\n", b" ") for ln in lines]
    data = b"\n".join(lines)
    delivered = sum(1 for ln in lines if ln.rstrip(b"\r").strip())
    assert len(_all(police.parse("cases.jsonl", data))) == delivered


@FAST
@given(st.lists(st.lists(texts, min_size=5, max_size=5), max_size=12),
       st.sampled_from(["utf-8-sig", "gb18030"]))
def test_csv_rows_with_arbitrary_values_round_trip(rows, encoding):
    header = ["person_id_no", "case_ref", "stage", "assigned_date", "updated_at"]
    try:
        blob = csv_bytes(header, rows, encoding)
    except UnicodeEncodeError:
        return
    blank = [r for r in rows if not "".join(r).strip(" \t\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0")]
    parsed = _all(justice.parse("legal_aid.csv", blob) if encoding == "utf-8-sig"
                  else _reparse_as_gb(blob))
    ok = [p for p in parsed if isinstance(p, ParsedRow)]
    assert len(parsed) <= len(rows)
    assert len(parsed) >= len(rows) - len(blank)  # only whitespace-only lines are not rows
    if not blank:
        width = 5 if encoding == "utf-8-sig" else 4  # the GB18030 header's 5th column is extra
        assert [list(p.values.values()) for p in ok] == [r[:width] for r in rows]


def _reparse_as_gb(blob: bytes):
    # legal_aid is a UTF-8 contract; read the same shape through a GB18030 one.
    text = blob.decode("gb18030")
    header = "部门受案号,退回日期,重新移送日期,次数,x"
    body = text.split("\r\n", 1)[1] if "\r\n" in text else ""
    return procuratorate.parse("supplementary_investigations.csv",
                               (header + "\r\n" + body).encode("gb18030"))


@FAST
@given(st.lists(st.integers(min_value=0, max_value=3), max_size=8),
       st.dictionaries(st.sampled_from(["case_no", "filed", "procedure", "zz"]), texts),
       st.dictionaries(st.sampled_from(["id_no", "name", "months", "fine", "qq"]), texts))
def test_xml_attribute_values_never_lose_a_defendant(counts, case_attrs, row_attrs):
    root = ET.Element("judgments")
    for n in counts:
        case = ET.SubElement(root, "case", case_attrs)
        for _ in range(n):
            ET.SubElement(case, "defendant", row_attrs)
    blob = ET.tostring(root, encoding="utf-8")
    parsed = _all(court.parse("judgments.xml", blob))
    rows = [p for p in parsed if isinstance(p, ParsedRow)]
    assert len(parsed) == sum(counts) + counts.count(0)  # an empty case is one RowError
    xml_chars = all(c in "\t\n\r" or c >= " " and c not in "\ufffe\uffff"
                    for v in (*case_attrs.values(), *row_attrs.values()) for c in v)
    if xml_chars:  # else the document is not XML 1.0: rows become errors, still counted
        assert len(rows) == sum(counts)
    for row in rows:
        assert row.values.get("name") == row_attrs.get("name")
        assert row.values.get("court_case_no") == case_attrs.get("case_no")


@FAST
@given(st.integers(min_value=1, max_value=12), st.data())
def test_xml_cut_or_corrupted_anywhere_still_counts_every_record(n, data):
    root = ET.Element("enforcements")
    for i in range(n):
        ET.SubElement(root, "enforcement", {"case_no": f"e{i}", "due": "1"})
    blob = ET.tostring(root, encoding="utf-8")
    cut = data.draw(st.integers(min_value=0, max_value=len(blob)))
    junk = data.draw(st.binary(max_size=3))
    broken = blob[:cut] + junk + blob[cut + len(junk):]
    parsed = _all(court.parse("enforcement.xml", broken))
    starts = len(re.findall(rb"<enforcement[\s/>]", broken))
    if starts:
        assert len(parsed) == starts
