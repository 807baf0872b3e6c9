"""Each department parser on valid and broken input; every delivered row is accounted for."""

from __future__ import annotations

import pytest
from builders import Synth, court_files, csv_bytes, jsonl, justice_files, procuratorate_files

from shared_exchange.contracts import court, justice, police, procuratorate
from shared_exchange.contracts.readers import ParsedRow, RowError


def split(items):
    items = list(items)
    return ([i for i in items if isinstance(i, ParsedRow)],
            [i for i in items if isinstance(i, RowError)])


@pytest.mark.parametrize("module", [police, procuratorate, court, justice])
def test_parsers_match_their_contracts(module):
    module.check()


def test_unknown_file_is_refused():
    with pytest.raises(KeyError, match="delivers no file"):
        police.contract("victims.jsonl", 1)


def test_police_valid_rows_map_to_canonical_columns():
    s = Synth()
    p = s.person()
    data = jsonl([{"ajbh": "A" + "1" * 22, "xyrbh": 1, "sfzh": p.id_no, "xm": p.name,
                   "lxdh": p.phone, "updated_at": "2022-03-01"}])
    rows, errors = split(police.parse("suspects.jsonl", data, 1))
    assert not errors
    assert rows[0].values["id_number"] == p.id_no
    assert rows[0].values["suspect_seq"] == "1"  # JSON numbers arrive as text
    assert rows[0].values["phone"] == p.phone


@pytest.mark.parametrize("version,key", [(1, "lxdh"), (2, "sjhm"), (2, "lxdh"), (1, "sjhm")])
def test_renamed_column_is_read_under_old_and_new_name(version, key):
    data = jsonl([{"ajbh": "A1", key: "x", "brand_new": 1}])
    rows, errors = split(police.parse("suspects.jsonl", data, version))
    assert not errors
    assert rows[0].values["phone"] == "x"
    assert rows[0].extra_columns == ("brand_new",)


def test_police_broken_lines_become_errors_and_keep_the_rest():
    good = b'{"ajbh": "A1", "ay": "x"}'
    data = b"\r\n".join([good, b'{"ajbh": "A2", "ay', b"[1, 2]", b"\xff\xfe{}",
                         b'{"ajbh": {"nested": 1}}', b"", good]) + b"\r\n"
    rows, errors = split(police.parse("cases.jsonl", data, 1))
    assert [r.line for r in rows] == [1, 7]
    assert [e.reason_code for e in errors] == [
        "malformed_json", "not_an_object", "decode_error", "bad_value_type"]
    assert errors[0].raw == b'{"ajbh": "A2", "ay'  # CR stripped, raw kept for replay


def test_procuratorate_gb18030_quotes_newlines_and_bad_bytes():
    s = Synth()
    blob, n = procuratorate_files(s, 3)["prosecution_reviews.csv"]
    lines = blob.split(b"\r\n")
    lines.insert(2, b"\xa1\xff\xfe" + lines[1][3:])  # undecodable in GB18030
    lines.insert(3, lines[1].replace("西湖区法院".encode("gb18030"), b'"multi\r\nline"'))
    rows, errors = split(procuratorate.parse("prosecution_reviews.csv", b"\r\n".join(lines)))
    assert len(rows) == n + 1 and len(errors) == 1
    assert errors[0].reason_code == "decode_error" and errors[0].line == 3
    assert rows[0].values["handling_unit"] == "西湖区检察院, 第一部"  # quoted comma
    assert rows[1].values["court_name"] == "multi\r\nline"
    assert rows[2].line == 6  # the quoted newline took two physical lines
    assert "review_extended" not in rows[0].values  # optional column may be absent


def test_csv_truncated_and_unclosed_quote_lines_lose_only_themselves():
    header = ["person_id_no", "case_ref", "stage", "assigned_date", "updated_at"]
    blob = csv_bytes(header, [["1", "r1", "侦查", "2022-01-01", "t"]], "utf-8-sig")
    blob += b'2,"r2,\xe4\xbe\xa6\xe6\x9f\xa5,2022-01-01,t\r\n3,r3\r\n4,r4,x,y,z\r\n'
    rows, errors = split(justice.parse("legal_aid.csv", blob))
    assert [r.values["case_ref"] for r in rows] == ["r1", "r4"]
    assert [(e.line, e.reason_code) for e in errors] == [(3, "field_count"), (4, "field_count")]


def test_csv_missing_required_column_quarantines_every_row():
    blob = csv_bytes(["person_id_no", "case_ref", "assigned_date", "updated_at"],
                     [["1", "r", "2022-01-01", "t"]] * 3, "utf-8-sig")
    rows, errors = split(justice.parse("legal_aid.csv", blob))
    assert not rows and len(errors) == 3
    assert all(e.reason_code == "missing_column" and "stage" in e.reason for e in errors)


def test_justice_bom_header_and_added_column():
    s = Synth()
    blob, n = justice_files(s, 2)["legal_aid.csv"]
    assert blob.startswith(b"\xef\xbb\xbf")
    text = blob.decode("utf-8-sig").replace("updated_at\r\n", "updated_at,new_col\r\n", 1)
    text = text.replace(":00\r\n", ":00,extra\r\n")
    rows, errors = split(justice.parse("legal_aid.csv", text.encode("utf-8-sig")))
    assert not errors and len(rows) == n
    assert rows[0].extra_columns == ("new_col",)
    assert rows[0].values["id_number"] == s.people[0].id_no


def test_court_case_attributes_are_copied_onto_each_defendant():
    s = Synth()
    blob, n = court_files(s, 2)["judgments.xml"]
    rows, errors = split(court.parse("judgments.xml", blob))
    assert not errors and len(rows) == n == 3
    assert [r.line for r in rows] == [1, 2, 3]
    assert rows[1].values["court_case_no"] == rows[2].values["court_case_no"]
    assert rows[2].values["name"] == s.people[2].name
    assert b"<defendant" in rows[1].raw and rows[1].raw.count(b"<defendant") == 1


def test_court_malformed_xml_recovers_the_other_records():
    s = Synth()
    blob, n = court_files(s, 4)["judgments.xml"]
    broken = blob.replace(b'procedure="\xe6\x99\xae\xe9\x80\x9a"', b'procedure="x', 1)
    rows, errors = split(court.parse("judgments.xml", broken))
    assert len(rows) + len(errors) == n
    assert [e.reason_code for e in errors] == ["malformed_xml"]  # case 1 has one defendant
    truncated = blob[: len(blob) * 2 // 3]
    rows, errors = split(court.parse("judgments.xml", truncated))
    assert rows and errors and all(e.reason_code == "malformed_xml" for e in errors)


def test_court_enforcement_missing_attribute_and_empty_case():
    blob = (b'<enforcements><enforcement case_no="e1" filed="2022-01-01"/>'
            b'<enforcement/></enforcements>')
    rows, errors = split(court.parse("enforcement.xml", blob))
    assert len(rows) == 2 and not errors  # missing attributes are left to validation
    assert rows[1].values == {}
    rows, errors = split(court.parse(
        "judgments.xml", b"<judgments><case case_no='c'/></judgments>"))
    assert not rows and errors[0].reason_code == "empty_record"
