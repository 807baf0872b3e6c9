"""AEAD field encryption: round trips for both ciphers, binding to the cell, tamper detection."""

from __future__ import annotations

import inspect

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_exchange.config import Settings
from shared_exchange.security import (
    CIPHER_NAMES,
    DecryptionError,
    FieldEncryptor,
    Sm4GcmSuite,
    UnsupportedCipherError,
    field_aad,
    key_id_of,
    open_keyring,
    quarantine_aad,
    suite_for,
)
from shared_exchange.security import aead as aead_module

HYP = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])
AAD = field_aad("police", "suspects", "name", "b20220301/suspects.csv/7")


@pytest.fixture(scope="module")
def keyring(tmp_path_factory):
    home = tmp_path_factory.mktemp("aead-home")
    return open_keyring(Settings(home=home), cached=False)


@pytest.fixture(scope="module", params=CIPHER_NAMES)
def enc(request, keyring):
    return FieldEncryptor(keyring, request.param)


@HYP
@given(value=st.text(), row=st.text(max_size=40))
def test_round_trip_arbitrary_unicode(enc, value, row):
    aad = field_aad("court", "judgments", "name", row)
    blob = enc.encrypt(value, aad=aad, scope="court/2022-03")
    assert enc.decrypt(blob, aad=aad) == value
    assert value.encode() not in blob or len(value.encode()) < 3


@HYP
@given(value=st.text(min_size=1), subject=st.text(alphabet="0123456789abcdef", min_size=8,
                                                   max_size=8))
def test_round_trip_with_person_key(enc, value, subject):
    blob = enc.encrypt(value, aad=AAD, scope="police/2022-03", subject=subject)
    assert key_id_of(blob).startswith("p")
    assert enc.decrypt(blob, aad=AAD) == value


@pytest.mark.parametrize(
    "other",
    [
        field_aad("police", "suspects", "name", "b20220301/suspects.csv/8"),  # other row
        field_aad("police", "suspects", "phone", "b20220301/suspects.csv/7"),  # other column
        field_aad("court", "suspects", "name", "b20220301/suspects.csv/7"),  # other table
        quarantine_aad("b20220301/suspects.csv/7"),
        "",
    ],
)
def test_moved_ciphertext_fails(enc, other):
    blob = enc.encrypt("一二三", aad=AAD, scope="police/2022-03")
    with pytest.raises(DecryptionError) as err:
        enc.decrypt(blob, aad=other)
    assert "一二三" not in str(err.value)


@HYP
@given(data=st.data())
def test_tampering_any_byte_fails(enc, data):
    blob = enc.encrypt(data.draw(st.text(max_size=20)), aad=AAD, scope="police/2022-03")
    pos = data.draw(st.integers(0, len(blob) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = blob[:pos] + bytes([blob[pos] ^ flip]) + blob[pos + 1 :]
    with pytest.raises(DecryptionError):
        enc.decrypt(tampered, aad=AAD)


def test_truncation_and_garbage_fail(enc):
    blob = enc.encrypt("x", aad=AAD, scope="police/2022-03")
    for bad in (b"", b"\x01", blob[:-1], blob[:20], b"\x02" + blob[1:], bytes(64)):
        with pytest.raises(DecryptionError):
            enc.decrypt(bad, aad=AAD)


def test_nonces_are_fresh_and_made_inside(enc):
    blobs = {enc.encrypt("same", aad=AAD, scope="police/2022-03") for _ in range(50)}
    assert len(blobs) == 50
    assert "nonce" not in inspect.signature(enc.encrypt).parameters
    assert "nonce" not in inspect.signature(enc.encrypt_many).parameters


def test_blob_names_its_key_and_suite(keyring, enc):
    blob = enc.encrypt("v", aad=AAD, scope="justice/2022-04")
    primary = keyring.primary("field", "justice/2022-04", algorithm=enc.cipher)
    assert key_id_of(blob) == primary.key_id
    assert blob[0] == 1 and blob[1] == enc.suite.suite_id


def test_other_cipher_blobs_still_decrypt(keyring):
    aes, sm4 = FieldEncryptor(keyring, "aes-256-gcm"), FieldEncryptor(keyring, "sm4-gcm")
    assert aes.decrypt(sm4.encrypt("v", aad=AAD, scope="s"), aad=AAD) == "v"
    assert sm4.decrypt(aes.encrypt("v", aad=AAD, scope="s"), aad=AAD) == "v"


def test_key_sizes():
    assert suite_for("aes-256-gcm").key_bytes == 32
    assert suite_for("sm4-gcm").key_bytes == 16  # SM4 is a 128-bit block cipher


def test_encrypt_many_matches_single(enc):
    values = ["一", None, "二", "", "三"]
    aads = [field_aad("police", "suspects", "name", f"b/f/{i}") for i in range(5)]
    subjects = ["aa11", None, "bb22", "aa11", None]
    for subj in (None, subjects):
        blobs = enc.encrypt_many(values, aads, "police/2022-03", subj)
        assert blobs[1] is None
        assert enc.decrypt_many(blobs, aads) == values
    blobs = enc.encrypt_many(values, aads, "police/2022-03", subjects)
    assert key_id_of(blobs[0]) == key_id_of(blobs[3]) != key_id_of(blobs[2])
    assert not key_id_of(blobs[4]).startswith("p")
    with pytest.raises(ValueError):
        enc.encrypt_many(values, aads[:2], "police/2022-03")


def test_encrypt_columns_share_person_keys_beyond_the_cache(keyring):
    # more persons than cache entries: the second column must not lose the first's keys
    enc = FieldEncryptor(keyring, "aes-256-gcm", cache_size=2)
    subjects = [f"tok{i}" for i in range(6)] + [None]
    names = [f"名{i}" for i in range(7)]
    phones = [f"1380000000{i}" for i in range(6)] + [None]
    aads = {c: [field_aad("police", "suspects", c, f"b/f/{i}") for i in range(7)]
            for c in ("name", "phone")}
    out = enc.encrypt_columns({"name": (names, aads["name"]), "phone": (phones, aads["phone"])},
                              "police/2022-03", subjects)
    assert [key_id_of(b) for b in out["name"][:6]] == [key_id_of(b) for b in out["phone"][:6]]
    assert len({key_id_of(b) for b in out["name"][:6]}) == 6
    assert not key_id_of(out["name"][6]).startswith("p") and out["phone"][6] is None
    assert enc.decrypt_many(out["name"], aads["name"]) == names
    assert enc.decrypt_many(out["phone"], aads["phone"]) == phones
    with pytest.raises(ValueError):
        enc.encrypt_columns({"name": (names, aads["name"])}, "s", subjects[:3])


def test_unknown_cipher_is_refused():
    with pytest.raises(UnsupportedCipherError, match="SHARED_EXCHANGE_CIPHER"):
        suite_for("des-cbc")


def test_missing_sm4_support_fails_at_start_up(monkeypatch):
    def no_sm4(key):
        raise UnsupportedAlgorithm("no SM4 in this build")

    monkeypatch.setattr(aead_module.algorithms, "SM4", no_sm4)
    aead_module._check_sm4_support.cache_clear()
    try:
        with pytest.raises(UnsupportedCipherError, match="OpenSSL"):
            Sm4GcmSuite()
    finally:
        aead_module._check_sm4_support.cache_clear()
