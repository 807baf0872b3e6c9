"""Masked display forms written at ingestion (``<column>_masked``): right rule, nothing more.

Properties run on ``protect.masked_column`` (what ingestion calls); the end-to-end test
ingests generated batches, decrypts each ``<column>_enc`` in memory and checks its neighbour
``<column>_masked`` is exactly the baseline's display form of that value, and that the
leak scan finds nothing in a raw layer that now holds masked forms.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow.parquet as pq
import pytest
from builders import FILES, Synth, write_batch
from hypothesis import given
from hypothesis import strategies as st

from shared_exchange.contracts.schema import PII_ENCRYPTED, all_contracts
from shared_exchange.identity import COMPOUND_SURNAMES, make_id, normalise_id
from shared_exchange.ingest import ingest_source
from shared_exchange.ingest.protect import masked_column
from shared_exchange.ingest.writer import table_schema
from shared_exchange.reports.leak_patterns import find_patterns
from shared_exchange.reports.leak_scan import scan_for_leaks
from shared_exchange.reports.needles import needles_from_landing
from shared_exchange.security import FieldEncryptor, open_keyring
from shared_exchange.security.masking import mask_value

DAY = dt.date(2022, 3, 1)
MASKED_ID = re.compile(r"[0-9]{6}\*{8}[0-9X]{4}|\*{18}")
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
BIRTH = st.dates(dt.date(1930, 1, 1), dt.date(1999, 12, 31))  # 15-digit numbers: 19xx only
REGION = st.sampled_from(["330106", "330102", "330324", "331127", "330782"])


def _legacy(eighteen: str) -> str:
    """The pre-1999 15-digit form of an 18-digit number: no century, no check char."""
    return eighteen[:6] + eighteen[8:17]


@given(REGION, BIRTH, st.integers(0, 999), st.booleans(), st.booleans())
def test_id_mask_keeps_first_six_and_last_four_of_the_18_digit_form(
    region: str, born: dt.date, seq: int, legacy: bool, spaced: bool
) -> None:
    number = make_id(region, born, seq)
    delivered = _legacy(number) if legacy else number
    if spaced:
        delivered = " ".join(delivered[i:i + 6] for i in range(0, len(delivered), 6)).lower()
    (masked,) = masked_column("id_number", [delivered])
    # decision: a legacy number is masked on its normalised 18-digit form (docs/raw-layer.md)
    assert masked == number[:6] + "*" * 8 + number[-4:]
    assert MASKED_ID.fullmatch(masked)
    assert born.strftime("%Y%m%d") not in masked and born.strftime("%y%m%d") not in masked


@given(REGION, BIRTH, st.integers(0, 999), BIRTH, st.integers(0, 999))
def test_id_mask_reveals_nothing_of_the_hidden_digits(region, born, seq, other_born, other_seq):
    """Two numbers whose kept digits agree mask identically, whatever their birth dates."""
    number = make_id(region, born, seq)
    other = make_id(region, other_born, other_seq)
    same_kept = other[-4:] == number[-4:]
    masks = masked_column("id_number", [number, other])
    assert (masks[0] == masks[1]) == same_kept


@given(st.text("0123456789", min_size=10, max_size=10), st.text("0123456789", min_size=4,
                                                                max_size=4))
def test_phone_mask_hides_the_middle_four(tail: str, middle: str) -> None:
    mobile = "1" + tail
    other = mobile[:3] + middle + mobile[7:]
    assert masked_column("phone", [mobile, "+86" + other]) == [
        mobile[:3] + "****" + mobile[7:]] * 2


@given(st.one_of(st.sampled_from(COMPOUND_SURNAMES), HAN), st.text(HAN, min_size=1,
                                                                   max_size=2), HAN)
def test_name_mask_keeps_the_surname_only(surname: str, given_name: str, other: str) -> None:
    name = surname + given_name
    (masked,) = masked_column("name", [name])
    kept = masked[:-1]
    assert masked.endswith("*") and "*" not in kept
    assert kept in (name[:1], name[:2]) and (len(kept) == 1 or kept in COMPOUND_SURNAMES)
    # the given name never shows: another given name of any length masks the same
    assert masked_column("name", [kept + other + given_name]) == [masked]


def test_blank_and_missing_values_stay_null() -> None:
    assert masked_column("phone", [None, ""]) == [None, None]
    assert masked_column("address", ["文三路100号"]) == [None]  # no county: nothing to show
    assert masked_column("address", ["浙江省杭州市西湖区文三路100号"]) == ["浙江省杭州市西湖区"]


@pytest.fixture
def ingested(settings):
    synth = Synth(seed=5)
    for source, build in FILES.items():
        write_batch(settings.landing, source, DAY, f"{source}-20220301-01", build(synth, 6))
    for source in FILES:
        ingest_source(settings, source)
    return synth


def test_raw_masked_columns_are_the_masks_of_the_delivered_values(settings, ingested):
    enc = FieldEncryptor(open_keyring(settings), cipher=settings.cipher)
    checked: dict[str, int] = {}
    for contract in all_contracts():
        schema = table_schema(contract.source, contract.table)
        for f in contract.fields:
            if f.pi in PII_ENCRYPTED:
                assert schema.field(f"{f.column}_masked").type == "string"
        for path in (settings.raw / contract.source / contract.table).glob("*-01.parquet"):
            for row in pq.read_table(path).to_pylist():
                for f in (f for f in contract.fields if f.pi in PII_ENCRYPTED):
                    blob, masked = row[f"{f.column}_enc"], row[f"{f.column}_masked"]
                    if blob is None:
                        assert masked is None
                        continue
                    aad = f"{contract.source}.{contract.table}|{f.column}|{row['_row_id']}"
                    clear = enc.decrypt(blob, aad=aad)
                    assert masked == (mask_value(f.pi, clear) or None)
                    assert masked is None or masked != clear
                    if f.pi == "id_number":
                        assert MASKED_ID.fullmatch(masked)
                        assert masked[:6] == normalise_id(clear).normalised[:6]
                    checked[f.pi] = checked.get(f.pi, 0) + 1
    assert set(checked) == {"id_number", "name", "phone", "address"}, checked


def test_leak_scan_does_not_flag_masked_forms(settings, ingested):
    masked_bytes = b""
    for path in settings.raw.glob("*/*/*-01.parquet"):
        table = pq.read_table(path)
        for name in table.column_names:
            if name.endswith("_masked"):
                masked_bytes += "\n".join(v or "" for v in table.column(name).to_pylist()
                                          ).encode("utf-8")
    assert masked_bytes and not list(find_patterns(masked_bytes))
    report = scan_for_leaks(settings, needles_from_landing(settings), roots=[settings.raw])
    assert report.clean, [f.excerpt for f in report.findings]
    assert report.columns_scanned > 0
