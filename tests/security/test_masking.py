"""Masks keep exactly what security-baseline.md §3 keeps: exact forms and property tests."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_exchange.identity import COMPOUND_SURNAMES, id_check_char, make_id
from shared_exchange.security.masking import (
    mask_address,
    mask_birth_date,
    mask_id,
    mask_name,
    mask_phone,
    mask_value,
    sql_mask,
)

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
REGION = st.from_regex(r"33[0-9]{4}", fullmatch=True)
BIRTH = st.dates(dt.date(1930, 1, 1), dt.date(2015, 12, 31))
IDS = st.builds(make_id, REGION, BIRTH, st.integers(0, 999))
MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
GIVEN = st.text(HAN, min_size=1, max_size=3)
SIMPLE_SURNAME = HAN.filter(lambda c: not any(s.startswith(c) for s in COMPOUND_SURNAMES))

_CONN = duckdb.connect()


def sql_apply(rule: str, value, sql_type: str = "VARCHAR"):
    """Run the gateway's SQL mask for ``rule`` on one value in DuckDB."""
    expr = sql_mask(rule, "v", sql_type)
    return _CONN.execute(f"SELECT {expr} FROM (SELECT CAST(? AS {sql_type}) AS v)",
                         [value]).fetchone()[0]


# ---- exact forms from the baseline ------------------------------------------------------

def test_id_mask_keeps_first_six_and_last_four() -> None:
    number = make_id("330106", dt.date(1990, 5, 17), 123)
    assert mask_id(number) == "330106********" + number[-4:]
    assert len(mask_id(number)) == 18


def test_legacy_15_digit_id_is_upgraded_and_hides_its_birth_date() -> None:
    legacy = "330106" + "900517" + "123"
    first17 = "330106" + "19900517" + "123"
    assert mask_id(legacy) == "330106********123" + id_check_char(first17)
    assert "0517" not in mask_id(legacy)


def test_id_mask_normalises_full_width_lowercase_and_spaces() -> None:
    number = make_id("330106", dt.date(1990, 5, 17), 123)
    spaced = " ".join(number[:9]) + number[9:]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert mask_id(spaced) == mask_id(full_width) == mask_id(number)
    if number.endswith("X"):
        assert mask_id(number.lower()) == mask_id(number)


def test_malformed_id_keeps_nothing() -> None:
    assert mask_id("not-an-id") == "*" * 18
    assert mask_id("33010619901317123X") == "*" * 18  # month 13


def test_phone_and_name_and_address_and_birth_forms() -> None:
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("+86 13812345678") == "138****5678"
    assert mask_phone("0571-88123456") == "********3456"
    assert mask_name("张伟") == "张*"
    assert mask_name("张伟明") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳*"
    assert mask_name("司马光") == "司马*"
    assert mask_name("欧阳") == "欧*"  # two characters: surname 欧, given name 阳
    assert mask_address("浙江省杭州市西湖区文三路100号3幢") == "浙江省杭州市西湖区"
    assert mask_address("浙江省丽水市景宁畲族自治县红星街道1号") == "浙江省丽水市景宁畲族自治县"
    assert mask_address("杭州市上城区解放路8号") == "杭州市上城区"
    assert mask_address("上海市浦东新区世纪大道1号") == "上海市浦东新区"
    assert mask_address("义乌市稠州北路100号") == "义乌市"
    assert mask_address("文三路100号") == ""
    assert mask_birth_date(dt.date(2006, 3, 1)) == 2006
    assert mask_birth_date("2006-03-01") == 2006
    assert mask_value("name", None) is None
    with pytest.raises(ValueError, match="unknown mask rule"):
        mask_value("salary", "1")


# ---- properties: never more than the rule keeps ----------------------------------------

@given(IDS, st.text("0123456789", min_size=8, max_size=8))
def test_id_mask_depends_only_on_kept_digits(number: str, middle: str) -> None:
    """Two numbers that share the first 6 and last 4 characters mask identically."""
    other = number[:6] + middle + number[14:]
    assert mask_id(other) in (mask_id(number), "*" * 18)  # other may have an impossible date
    masked = mask_id(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert masked[6:14] == "********"
    assert sum(c != "*" for c in masked) == 10


@given(MOBILES, st.text("0123456789", min_size=4, max_size=4))
def test_phone_mask_hides_the_middle_four(mobile: str, middle: str) -> None:
    other = mobile[:3] + middle + mobile[7:]
    assert mask_phone(mobile) == mask_phone(other) == mobile[:3] + "****" + mobile[7:]


@given(st.text(min_size=0, max_size=20))
def test_phone_mask_never_shows_more_than_seven_characters(text: str) -> None:
    masked = mask_phone(text)
    assert sum(c != "*" for c in masked) <= 7


@given(SIMPLE_SURNAME, GIVEN, GIVEN)
def test_name_mask_depends_only_on_the_surname(surname: str, given1: str, given2: str) -> None:
    assert mask_name(surname + given1) == mask_name(surname + given2) == surname + "*"


@given(st.sampled_from(COMPOUND_SURNAMES), GIVEN)
def test_compound_surname_is_kept_whole(surname: str, given_name: str) -> None:
    assert mask_name(surname + given_name) == surname + "*"


@given(st.text(min_size=0, max_size=12))
def test_name_mask_shows_at_most_two_characters(text: str) -> None:
    masked = mask_name(text)
    assert masked == "" or (masked.endswith("*") and len(masked) <= 3)


# administrative suffixes never occur inside a county's own name (else the mask cuts there)
COUNTY = st.tuples(st.text(HAN.filter(lambda c: c not in "区县市旗省州盟"), min_size=1,
                           max_size=4),
                   st.sampled_from(["区", "县", "自治县"]))
STREET = st.tuples(st.text(HAN.filter(lambda c: c not in "区县市旗省州盟"), min_size=1,
                           max_size=6),
                   st.sampled_from(["路", "街", "大道"]), st.integers(1, 999))


@given(st.sampled_from(["浙江省", ""]), st.sampled_from(["杭州市", "宁波市", ""]), COUNTY, STREET)
def test_address_mask_keeps_the_county_and_drops_the_street(
    province: str, city: str, county: tuple[str, str], street: tuple[str, str, int]
) -> None:
    county_text = "".join(county)
    address = f"{province}{city}{county_text}{street[0]}{street[1]}{street[2]}号"
    masked = mask_address(address)
    assert address.startswith(masked)
    assert masked == f"{province}{city}{county_text}"
    assert str(street[2]) not in masked and street[0] + street[1] not in masked


@given(st.text(max_size=30))
def test_address_mask_is_a_prefix_without_digits(text: str) -> None:
    masked = mask_address(text)
    assert not any(c.isdigit() for c in masked)


# ---- idempotence and SQL = Python -------------------------------------------------------

@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(IDS, MOBILES, st.one_of(SIMPLE_SURNAME, st.sampled_from(COMPOUND_SURNAMES)), GIVEN,
       st.sampled_from(["浙江省杭州市西湖区", "杭州市上城区", "义乌市",
                        "浙江省丽水市景宁畲族自治县"]),
       STREET, BIRTH)
def test_sql_masks_equal_python_masks_and_are_idempotent(
    number, mobile, surname, given_name, county, street, born
) -> None:
    name = surname + given_name
    address = f"{county}{street[0]}{street[1]}{street[2]}号"
    cases = [("id_number", number), ("phone", mobile), ("name", name), ("address", address)]
    for rule, value in cases:
        masked = mask_value(rule, value)
        assert sql_apply(rule, value) == masked, rule
        assert mask_value(rule, masked) == masked, rule
        assert sql_apply(rule, masked) == masked, rule
    assert sql_apply("birth_date", born, "DATE") == mask_birth_date(born) == born.year
    assert sql_apply("birth_date", born.year, "INTEGER") == born.year


def test_sql_masks_keep_nothing_of_malformed_values() -> None:
    assert sql_apply("id_number", "33010619") == "*" * 18
    assert sql_apply("phone", "12345") == "*****"
    assert sql_apply("name", None) is None
