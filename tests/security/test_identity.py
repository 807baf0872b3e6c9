"""ID numbers (GB 11643), credit codes (GB 32100) and names; all IDs are built at test time."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_exchange.identity import (
    COMPOUND_SURNAMES,
    id_check_char,
    make_id,
    name_pinyin,
    normalise_id,
    normalise_name,
    surname_of,
    uscc_check_char,
    uscc_is_valid,
)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
regions = st.sampled_from(["330102", "330106", "330203", "330302", "331002", "330103"])
births = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2015, 12, 31))
seqs = st.integers(min_value=0, max_value=999)


def _id(seq: int = 123, born: dt.date = dt.date(1985, 6, 15), region: str = "330106") -> str:
    return make_id(region, born, seq)


def _id_with_check(check: str) -> str:
    return next(i for s in range(1000) if (i := _id(s))[-1] == check)


def test_published_gb11643_examples_built_by_code():
    # The standard's own worked examples: region + birth date + sequence → check char.
    assert id_check_char("110105" + "19491231" + "002") == "X"
    assert id_check_char("440524" + "18800101" + "001") == "4"


def test_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        id_check_char("12345")
    with pytest.raises(ValueError):
        id_check_char("1" * 16 + "a")


@given(regions, births, seqs)
def test_make_id_is_valid_and_readable(region, born, seq):
    info = normalise_id(make_id(region, born, seq))
    assert info.status == "valid"
    assert info.birth_date == born
    assert info.region_code == region
    assert info.sex == ("1" if seq % 2 else "2")
    assert len(info.normalised) == 18


@given(regions, births, seqs, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(region, born, seq, pos, delta):
    good = make_id(region, born, seq)
    digit = str((int(good[pos]) + delta) % 10)
    info = normalise_id(good[:pos] + digit + good[pos + 1 :])
    assert info.status in {"bad_checksum", "malformed"}  # MOD 11-2 detects every one


@given(regions, st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)), seqs)
def test_legacy15_converts_to_the_18_digit_form(region, born, seq):
    full = make_id(region, born, seq)
    legacy = full[:6] + full[8:17]
    info = normalise_id(legacy)
    assert info.status == "legacy15"
    assert info.normalised == full
    assert info.birth_date == born


def test_bad_checksum_keeps_the_number():
    good = _id()
    wrong = next(c for c in "0123456789X" if c != good[-1])
    info = normalise_id(good[:17] + wrong)
    assert info.status == "bad_checksum"
    assert info.normalised == good[:17] + wrong
    assert info.birth_date == dt.date(1985, 6, 15)


def test_normalisation_forms():
    with_x = _id_with_check("X")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in with_x)
    variants = [
        with_x.lower(),
        f" {with_x[:6]} {with_x[6:14]}\u3000{with_x[14:]} ",
        fullwidth[:17] + "ｘ",
        with_x[:10] + "\u00a0" + with_x[10:] + "\t",
        "\ufeff" + with_x,
    ]
    for raw in variants:
        info = normalise_id(raw)
        assert (info.normalised, info.status) == (with_x, "valid"), repr(raw)


@pytest.mark.parametrize(
    "raw",
    [None, "", "12345", "3301061985061512", "33010619850615123A", "ABCDEF198506151234"],
)
def test_malformed_shapes(raw):
    assert normalise_id(raw).status == "malformed"


def test_impossible_birth_dates_are_malformed():
    first = "330106" + "19850230" + "123"  # 30 February
    assert normalise_id(first + id_check_char(first)).status == "malformed"
    future = dt.date.today() + dt.timedelta(days=400)
    assert normalise_id(make_id("330106", future, 1)).status == "malformed"
    legacy = "330106" + "851340" + "123"  # month 13
    assert normalise_id(legacy).status == "malformed"
    assert normalise_id(legacy).birth_date is None


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_uscc_check_char_round_trip(first17):
    assert uscc_is_valid(first17 + uscc_check_char(first17))


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17), st.integers(0, 17),
       st.integers(1, 30))
def test_uscc_single_substitution_is_caught(first17, pos, shift):
    code = first17 + uscc_check_char(first17)
    bad = USCC_CHARSET[(USCC_CHARSET.index(code[pos]) + shift) % 31]
    assert not uscc_is_valid(code[:pos] + bad + code[pos + 1 :])


def test_uscc_shapes():
    body = "91330100" + "MA2" + "000000"
    code = body + uscc_check_char(body)
    assert uscc_is_valid(code.lower())  # lower case and spaces are tolerated
    assert uscc_is_valid(f" {code[:9]}\u3000{code[9:]}")
    assert not uscc_is_valid(code[:17])
    assert not uscc_is_valid(body[:16] + "I" + "0")  # I is not in the charset
    assert not uscc_is_valid("")


def test_normalise_name():
    given_name = "一二"
    assert normalise_name(f" 欧阳\u3000{given_name}\t") == "欧阳" + given_name
    assert normalise_name("Ａ\u00b7Ｂ") == "A\u00b7B"  # NFKC; middle dot kept as delivered
    assert normalise_name("甲\u30fb乙") == "甲\u30fb乙"
    assert normalise_name(None) == ""


def test_name_pinyin():
    assert name_pinyin("单" + "一") == "shanyi"  # surname reading, not dan
    assert name_pinyin("曾" + "一") == "zengyi"
    assert name_pinyin("欧阳 " + "一") == "ouyangyi"
    assert name_pinyin("甲\u00b7乙") == "jiayi"  # separators dropped
    assert name_pinyin("") == ""


def test_compound_surnames():
    assert len(COMPOUND_SURNAMES) >= 40
    assert len(set(COMPOUND_SURNAMES)) == len(COMPOUND_SURNAMES)
    assert all(len(s) == 2 for s in COMPOUND_SURNAMES)
    for s in ("欧阳", "司马", "诸葛", "上官", "慕容", "西门"):
        assert s in COMPOUND_SURNAMES
    assert surname_of("欧阳" + "一") == "欧阳"
    assert surname_of("欧" + "一") == "欧"
