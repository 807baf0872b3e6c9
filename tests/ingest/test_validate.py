"""Typed conversion per contract field type; reasons are actionable and never show PII."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from builders import Synth

from shared_exchange.contracts import court, police, procuratorate
from shared_exchange.contracts.readers import ParsedRow
from shared_exchange.ingest.validate import Invalid, to_date, to_datetime, validate_rows


@pytest.mark.parametrize("text", ["2022-03-01", "2022/3/1", "2022年3月1日", "2022-3-1",
                                  "２０２２-03-01"])
def test_dates_in_all_three_formats(text):
    assert to_date(text) == dt.date(2022, 3, 1)


@pytest.mark.parametrize("text", ["2022-02-30", "22-03-01", "2022.03.01", "2022年3月1"])
def test_bad_dates(text):
    with pytest.raises(Invalid):
        to_date(text)


@pytest.mark.parametrize("text,expected", [
    ("2022-03-01 10:00:00", dt.datetime(2022, 3, 1, 10)),
    ("2022-03-01T10:00", dt.datetime(2022, 3, 1, 10)),
    ("2022/3/1 10:00:00.5", dt.datetime(2022, 3, 1, 10, 0, 0, 500000)),
    ("2022-03-01", dt.datetime(2022, 3, 1)),
    ("2022-03-01T02:00:00Z", dt.datetime(2022, 3, 1, 10)),
    ("2022-03-01T10:00:00+08:00", dt.datetime(2022, 3, 1, 10)),
    ("2022-03-01T00:00:00-0100", dt.datetime(2022, 3, 1, 9)),
    ("2022年3月1日 10:00", dt.datetime(2022, 3, 1, 10)),
])
def test_datetimes_are_local_naive(text, expected):
    assert to_datetime(text) == expected


def _row(values, line=2):
    return ParsedRow(line, values, b"raw", ())


def test_reasons_name_the_field_and_show_non_pii_values():
    contract = procuratorate.contract("prosecution_reviews.csv")
    s = Synth()
    p = s.person()
    good = {"proc_case_no": "P1", "id_number": p.id_no, "name": p.name,
            "received_date": "2022/3/1", "updated_at": "2022-03-01 10:00", "guilty_plea": "是"}
    bad = dict(good, recommended_months="十八", conclusion="起诉了")
    out = validate_rows(contract, [_row(good), _row(bad, 3)])
    assert len(out.rows) == 1 and out.columns["received_date"] == [dt.date(2022, 3, 1)]
    assert out.columns["guilty_plea"] == [True] and out.columns["review_extended"] == [False]
    err = out.errors[0]
    assert err.line == 3 and err.field == "conclusion" and err.reason_code == "bad_enum"
    assert "field 量刑建议月数 (recommended_months): '十八' is not an integer" in err.reason


def test_pii_values_never_appear_in_reasons():
    contract = police.contract("suspects.jsonl", 2)
    s = Synth()
    p = s.person()
    other = s.person()
    row = {"police_case_no": "B12", "suspect_seq": "1", "id_number": p.id_no, "name": p.name,
           "birth_date": p.id_no, "sex": p.name, "updated_at": other.phone}
    out = validate_rows(contract, [_row(row)])
    reason = out.errors[0].reason
    assert p.name not in reason and p.id_no not in reason and other.phone not in reason
    assert "field csrq (birth_date): value is not a date" in reason
    assert "field xb (sex): value is not one of 1, 2" in reason  # a shifted name is withheld
    assert "field updated_at (updated_at): value is not a datetime" in reason  # phone-like
    assert "field ajbh (police_case_no): 'B12' does not match" in reason  # not PII: shown


def test_required_patterns_and_decimals():
    contract = police.contract("cases.jsonl")
    out = validate_rows(contract, [_row({"ajbh": "B1"}), _row({
        "police_case_no": "A" + "1" * 22, "charge": "盗窃罪", "filed_date": "2022-03-01",
        "unit_code": "330106000000", "status": "zc", "updated_at": "2022-03-01"})])
    assert len(out.rows) == 1 and out.columns["major_suspect"] == [False]
    assert out.errors[0].reason_code == "required_missing"
    enforcement = court.contract("enforcement.xml")
    out = validate_rows(enforcement, [_row({
        "enforcement_case_no": "e", "court_case_no": "c", "id_number": "1",
        "filed_date": "2022-01-01", "amount_due": "5000.5", "updated_at": "2022-01-01"})])
    assert out.columns["amount_due"] == [Decimal("5000.50")]


def test_xml_element_missing_required_attributes_is_quarantined():
    from shared_exchange.contracts.readers import read_xml

    contract = court.contract("enforcement.xml")
    rows = list(read_xml(b'<enforcements><enforcement case_no="e1"/></enforcements>', contract))
    out = validate_rows(contract, rows)
    assert not out.rows and out.errors[0].reason_code == "required_missing"
    assert "field origin_case_no (court_case_no): required but blank or absent" in (
        out.errors[0].reason)
