"""AEAD cipher suites behind one small base: AES-256-GCM (default) and SM4-GCM (国密).

Callers never pass nonces: ``seal`` draws a fresh 96-bit random nonce for every value.
With random 96-bit nonces a key must stay well below 2**32 encryptions (NIST SP 800-38D
§8.3); data keys are per dataset and period, so each key sees at most millions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared_exchange.security.errors import DecryptionError, UnsupportedCipherError

NONCE_BYTES = 12
TAG_BYTES = 16
CIPHER_NAMES = ("aes-256-gcm", "sm4-gcm")


class CipherSuite:
    """One AEAD algorithm: key size, a stable one-byte id for blob headers, seal/open."""

    name: ClassVar[str]
    suite_id: ClassVar[int]
    key_bytes: ClassVar[int]

    def generate_key(self) -> bytes:
        return os.urandom(self.key_bytes)

    def prepare(self, key: bytes) -> Any:
        """A reusable per-key object (cache it; building it costs more than one seal)."""
        raise NotImplementedError

    def seal(self, prepared: Any, plaintext: bytes, aad: bytes) -> bytes:
        """nonce || ciphertext || tag under a fresh random nonce."""
        raise NotImplementedError

    def open(self, prepared: Any, sealed: bytes, aad: bytes) -> bytes:
        """Plaintext of nonce || ciphertext || tag; DecryptionError on any failure."""
        raise NotImplementedError

    def seal_column(self, keys: Iterable[tuple[bytes, Any]], values: Sequence[str | None],
                    aads: Sequence[str]) -> list[bytes | None]:
        """header || seal(value, header || aad) per value, each row under its own
        (header, prepared) from ``keys``; None stays None. Inlined per suite: it is the
        hot loop of ingestion."""
        raise NotImplementedError

    def _check_key(self, key: bytes) -> None:
        if len(key) != self.key_bytes:
            raise ValueError(f"{self.name} needs a {self.key_bytes * 8}-bit key")


class AesGcmSuite(CipherSuite):
    name = "aes-256-gcm"
    suite_id = 1
    key_bytes = 32

    def prepare(self, key: bytes) -> AESGCM:
        self._check_key(key)
        return AESGCM(key)

    def seal(self, prepared: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + prepared.encrypt(nonce, plaintext, aad)

    def seal_column(self, keys: Iterable[tuple[bytes, AESGCM]], values: Sequence[str | None],
                    aads: Sequence[str]) -> list[bytes | None]:
        # The hot path of ingestion: the loop is inlined (no per-value method calls).
        urandom, out = os.urandom, []
        append = out.append
        for (h, p), v, a in zip(keys, values, aads, strict=False):  # keys may repeat()
            if v is None:
                append(None)
                continue
            nonce = urandom(NONCE_BYTES)
            append(h + nonce + p.encrypt(nonce, v.encode(), h + a.encode()))
        return out

    def open(self, prepared: AESGCM, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("ciphertext too short to hold a nonce and tag")
        try:
            return prepared.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError("authentication failed (tampered, moved or wrong key)") from None


class Sm4GcmSuite(CipherSuite):
    """SM4 (GB/T 32907, 128-bit key) in GCM mode; cryptography has no one-shot SM4 AEAD."""

    name = "sm4-gcm"
    suite_id = 2
    key_bytes = 16

    def __init__(self) -> None:
        _check_sm4_support()

    def prepare(self, key: bytes) -> algorithms.SM4:
        self._check_key(key)
        return algorithms.SM4(key)

    def seal(self, prepared: algorithms.SM4, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        enc = Cipher(prepared, modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext) + enc.finalize()
        return nonce + body + enc.tag

    def seal_column(self, keys: Iterable[tuple[bytes, algorithms.SM4]],
                    values: Sequence[str | None], aads: Sequence[str]) -> list[bytes | None]:
        urandom, out = os.urandom, []
        append = out.append
        for (h, p), v, a in zip(keys, values, aads, strict=False):  # keys may repeat()
            if v is None:
                append(None)
                continue
            nonce = urandom(NONCE_BYTES)
            enc = Cipher(p, modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(h + a.encode())
            body = enc.update(v.encode()) + enc.finalize()
            append(h + nonce + body + enc.tag)
        return out

    def open(self, prepared: algorithms.SM4, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("ciphertext too short to hold a nonce and tag")
        nonce, tag = sealed[:NONCE_BYTES], sealed[-TAG_BYTES:]
        dec = Cipher(prepared, modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(aad)
        try:
            return dec.update(sealed[NONCE_BYTES:-TAG_BYTES]) + dec.finalize()
        except InvalidTag:
            raise DecryptionError("authentication failed (tampered, moved or wrong key)") from None


@cache
def _check_sm4_support() -> None:
    """Fail at start-up, not mid-batch, when OpenSSL lacks SM4 or GCM over it."""
    try:
        key, nonce = bytes(16), bytes(12)
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(b"probe")
        body = enc.update(b"probe") + enc.finalize()
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, enc.tag)).decryptor()
        dec.authenticate_additional_data(b"probe")
        ok = dec.update(body) + dec.finalize() == b"probe"
    except (UnsupportedAlgorithm, AttributeError, ValueError, InvalidTag) as exc:
        raise UnsupportedCipherError(
            "SM4-GCM is not available: it needs cryptography>=44 linked against an OpenSSL "
            "with SM4 enabled (OpenSSL 1.1.1+ or 3.x, not built with no-sm4). Install such a "
            "build or set SHARED_EXCHANGE_CIPHER=aes-256-gcm."
        ) from exc
    if not ok:
        raise UnsupportedCipherError("SM4-GCM self-test failed in this OpenSSL build")


_SUITES: dict[str, type[CipherSuite]] = {"aes-256-gcm": AesGcmSuite, "sm4-gcm": Sm4GcmSuite}
_BY_ID: dict[int, str] = {cls.suite_id: name for name, cls in _SUITES.items()}


@cache
def suite_for(name: str) -> CipherSuite:
    """The suite for a deployment cipher name ("aes-256-gcm" or "sm4-gcm")."""
    try:
        cls = _SUITES[name]
    except KeyError:
        raise UnsupportedCipherError(
            f"unknown cipher {name!r}: SHARED_EXCHANGE_CIPHER must be one of {CIPHER_NAMES}"
        ) from None
    return cls()


def suite_by_id(suite_id: int) -> CipherSuite:
    """The suite a blob header names; DecryptionError for an unknown id."""
    try:
        return suite_for(_BY_ID[suite_id])
    except KeyError:
        raise DecryptionError(f"unknown cipher suite id {suite_id} in blob header") from None
