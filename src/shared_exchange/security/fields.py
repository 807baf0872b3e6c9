"""Field encryption for the raw layer: AEAD blobs that name their key and bind their cell.

Blob layout (all versions are read by key id, so rotation never breaks old blobs)::

    0x01 | suite id (1 byte) | key-id length (1 byte) | key id (ASCII) | nonce (12) | ct | tag (16)

The AEAD associated data is the header followed by the caller's ``aad`` string
("<source>.<table>|<column>|<_row_id>", see ``field_aad``), so a blob copied to another
row, column or table, or with an edited header, fails to authenticate.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from itertools import repeat
from typing import Any

from shared_exchange.security.aead import (
    NONCE_BYTES,
    TAG_BYTES,
    CipherSuite,
    suite_by_id,
    suite_for,
)
from shared_exchange.security.errors import (
    DecryptionError,
    KeyDestroyedError,
    KeyNotFoundError,
    SecurityError,
)
from shared_exchange.security.keyring import Keyring

log = logging.getLogger(__name__)

BLOB_FORMAT = 0x01
_RAISE: Any = object()


def field_aad(source: str, table: str, column: str, row_id: str) -> str:
    """Associated data of a raw-layer PII cell (docs/raw-layer.md); ``column`` without _enc."""
    return f"{source}.{table}|{column}|{row_id}"


def quarantine_aad(row_id: str) -> str:
    """Associated data of a quarantined line's ``raw_enc`` (row id = batch/file/line)."""
    return f"quarantine|raw|{row_id}"


def parse_header(blob: bytes) -> tuple[bytes, str, int]:
    """(header bytes, key id, suite id) of a blob; DecryptionError when it is not one."""
    if len(blob) < 3 or blob[0] != BLOB_FORMAT:
        raise DecryptionError("not a field ciphertext (unknown format byte)")
    end = 3 + blob[2]
    if blob[2] == 0 or len(blob) < end + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("field ciphertext is truncated")
    try:
        key_id = bytes(blob[3:end]).decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("field ciphertext header is corrupt") from None
    return bytes(blob[:end]), key_id, blob[1]


def key_id_of(blob: bytes) -> str:
    """The key id a blob was encrypted under (cheap: reads the header only)."""
    return parse_header(blob)[1]


class FieldEncryptor:
    """Encrypts and decrypts PII cells; caches per-key AEAD objects and primary lookups."""

    def __init__(self, keyring: Keyring, cipher: str = "aes-256-gcm", *,
                 cache_size: int = 65536) -> None:
        self.keyring = keyring
        self.suite: CipherSuite = suite_for(cipher)
        self.cipher = cipher
        self._cache_size = cache_size
        self._gen = -1
        self._scope_keys: dict[str, tuple[bytes, Any]] = {}
        # (key id, suite id) → (header, prepared AEAD); LRU because person keys are many.
        self._by_key: OrderedDict[tuple[str, int], tuple[bytes, Any]] = OrderedDict()

    # -- caches --
    def _fresh(self) -> None:
        self.keyring.poll()
        if self.keyring.generation != self._gen:
            self._scope_keys.clear()
            self._by_key.clear()
            self._gen = self.keyring.generation

    def _entry(self, key_id: str, suite: CipherSuite) -> tuple[bytes, Any]:
        """(header, prepared AEAD) for a key, from the LRU or built once (per value when
        decrypting: a hit skips the batch path's bookkeeping)."""
        entry = self._by_key.get((key_id, suite.suite_id))
        if entry is None:
            return self._entries((key_id,), suite)[key_id]
        with suppress(KeyError):  # another thread may have just evicted it
            self._by_key.move_to_end((key_id, suite.suite_id))
        return entry

    def _entries(self, key_ids: Iterable[str], suite: CipherSuite
                 ) -> dict[str, tuple[bytes, Any]]:
        """(header, prepared AEAD) per key id: a whole column's keys in one pass."""
        cache, sid, out = self._by_key, suite.suite_id, {}
        for key_id in key_ids:
            slot = (key_id, sid)
            entry = cache.get(slot)
            if entry is None:
                entry = cache[slot] = self._build(key_id, suite)
            else:
                with suppress(KeyError):  # another thread may have just evicted it
                    cache.move_to_end(slot)
            out[key_id] = entry
        with suppress(KeyError):
            while len(cache) > self._cache_size:
                cache.popitem(last=False)
        return out

    def _build(self, key_id: str, suite: CipherSuite) -> tuple[bytes, Any]:
        key = self.keyring.data_key(key_id)
        try:
            prepared = suite.prepare(key)
        except ValueError:
            raise DecryptionError(f"key {key_id} does not fit cipher {suite.name}") from None
        kid = key_id.encode("ascii")
        return bytes((BLOB_FORMAT, suite.suite_id, len(kid))) + kid, prepared

    def _scope_entry(self, scope: str) -> tuple[bytes, Any]:
        entry = self._scope_keys.get(scope)
        if entry is None:
            rec = self.keyring.primary("field", scope, algorithm=self.cipher)
            entry = self._scope_keys[scope] = self._entry(rec.key_id, self.suite)
        return entry

    # -- one value --
    def encrypt(self, value: str, *, aad: str, scope: str, subject: str | None = None) -> bytes:
        """Blob for ``value``; under the person's key when ``subject`` (id token) is given."""
        if not isinstance(value, str):
            raise TypeError("encrypt takes a str; encrypt_many keeps None as None")
        self._fresh()
        if subject is None:
            header, prepared = self._scope_entry(scope)
        else:
            key_id = self.keyring.person_key_id(subject, algorithm=self.cipher)
            header, prepared = self._entry(key_id, self.suite)
        return header + self.suite.seal(prepared, value.encode("utf-8"),
                                        header + aad.encode("utf-8"))

    def decrypt(self, blob: bytes, *, aad: str) -> str:
        """Plaintext of a blob; DecryptionError / KeyDestroyedError / KeyDisabledError."""
        self._fresh()
        header, key_id, suite_id = parse_header(blob)
        suite = suite_by_id(suite_id)
        _, prepared = self._entry(key_id, suite)
        plain = suite.open(prepared, bytes(blob[len(header):]), header + aad.encode("utf-8"))
        return plain.decode("utf-8")

    # -- columns --
    def encrypt_many(
        self,
        values: Sequence[str | None],
        aads: Sequence[str],
        scope: str,
        subjects: Sequence[str | None] | None = None,
    ) -> list[bytes | None]:
        """Encrypt a column; None stays None; rows with a subject use that person's key."""
        return self.encrypt_columns({"": (values, aads)}, scope, subjects)[""]

    def encrypt_columns(
        self,
        columns: Mapping[str, tuple[Sequence[str | None], Sequence[str]]],
        scope: str,
        subjects: Sequence[str | None] | None = None,
    ) -> dict[str, list[bytes | None]]:
        """Encrypt a table's columns ({name: (values, aads)}); None stays None.

        Rows with a subject use that person's key, resolved and prepared once for all
        columns: per column, a table with more persons than the cipher cache would
        prepare every person's cipher again for each column.
        """
        rows = len(subjects) if subjects is not None else None
        for values, aads in columns.values():
            if len(values) != len(aads) or rows not in (None, len(values)):
                raise ValueError("encrypt_columns needs values, aads (and subjects) of equal "
                                 "length in every column")
        self._fresh()
        scope_key = self._scope_entry(scope)
        if subjects is None:
            keys: Iterable[tuple[bytes, Any]] | None = None
        else:
            person_ids = self.keyring.person_keys(filter(None, subjects), algorithm=self.cipher)
            by_key = self._entries(person_ids.values(), self.suite)
            by_subject = {s: by_key[k] for s, k in person_ids.items()}
            keys = list(map(by_subject.get, subjects, repeat(scope_key)))  # no subject: scope
        seal = self.suite.seal_column
        return {name: seal(repeat(scope_key) if keys is None else keys, values, aads)
                for name, (values, aads) in columns.items()}

    def decrypt_many(
        self, blobs: Iterable[bytes | None], aads: Iterable[str], *, destroyed_as: Any = _RAISE
    ) -> list[Any]:
        """Decrypt a column; None stays None; erased values become ``destroyed_as`` if given."""
        blobs = list(blobs)
        self._fresh()
        ids: set[str] = set()
        for blob in blobs:
            if blob is not None and len(blob) > 3 and blob[3] == 0x70:  # key id starts "p"
                ids.add(bytes(blob[3 : 3 + blob[2]]).decode("ascii", "replace"))
        self.keyring.preload(ids)
        out: list[Any] = []
        for blob, aad in zip(blobs, aads, strict=True):
            if blob is None:
                out.append(None)
                continue
            try:
                out.append(self.decrypt(blob, aad=aad))
            except KeyDestroyedError:
                if destroyed_as is _RAISE:
                    raise
                out.append(destroyed_as)
        return out

    # -- rotation --
    def is_current(self, blob: bytes) -> bool:
        """True when re-encrypting would not change the blob's key or cipher."""
        _, key_id, suite_id = parse_header(blob)
        rec = self.keyring.record(key_id)
        return suite_id == self.suite.suite_id and rec.primary and rec.algorithm == self.cipher

    def reencrypt(self, blob: bytes, *, aad: str) -> bytes:
        """The blob under the current primary of its scope (or its subject's key)."""
        if self.is_current(blob):
            return blob
        _, key_id, _ = parse_header(blob)
        rec = self.keyring.record(key_id)
        plain = self.decrypt(blob, aad=aad)
        if rec.purpose == "person":
            return self.encrypt(plain, aad=aad, scope="", subject=rec.scope)
        if rec.purpose != "field":
            raise DecryptionError(f"key {key_id} is a {rec.purpose} key, not a field key")
        return self.encrypt(plain, aad=aad, scope=rec.scope)

    def reencrypt_many(self, blobs: Sequence[bytes | None], aads: Sequence[str]
                       ) -> tuple[list[bytes | None], int, list[tuple[int, str]]]:
        """A column under current keys: (blobs, how many changed, [(row index, error)]).

        Key states are read once per distinct key and new primaries resolved per column,
        so a column of many persons costs a few batched queries, not one per value. Blobs
        under a destroyed key stay as they are (erased); errors name no value.
        """
        self._fresh()
        parsed = [None if b is None else parse_header(b) for b in blobs]
        recs = self.keyring.records_for({p[1] for p in parsed if p is not None})
        targets: dict[str, tuple[str, str]] = {}  # stale key id → (purpose, scope)
        for key_id, rec in recs.items():
            # A key has one algorithm, so its blobs' cipher is current when the key is.
            if rec.state == "destroyed" or (rec.primary and rec.algorithm == self.cipher):
                continue
            targets[key_id] = (rec.purpose, rec.scope)
        subjects = [s for purpose, s in targets.values() if purpose == "person"]
        new_person = self.keyring.person_keys(subjects, algorithm=self.cipher) if subjects else {}
        self.keyring.preload(targets)
        self._fresh()
        out, changed, failed = list(blobs), 0, []
        seal = self.suite.seal
        for i, p in enumerate(parsed):
            if p is None or (p[1] in recs and p[1] not in targets):
                continue
            header, key_id, sid = p
            try:
                if key_id not in recs:
                    raise KeyNotFoundError(f"no key {key_id!r}")
                purpose, scope = targets[key_id]
                if purpose == "person":
                    new_header, prepared = self._entry(new_person[scope], self.suite)
                elif purpose == "field":
                    new_header, prepared = self._scope_entry(scope)
                else:
                    raise DecryptionError(f"key {key_id} is a {purpose} key, not a field key")
                suite = suite_by_id(sid)
                _, old = self._entry(key_id, suite)
                aad = aads[i].encode("utf-8")
                plain = suite.open(old, bytes(blobs[i][len(header):]), header + aad)
                out[i] = new_header + seal(prepared, plain, new_header + aad)
                changed += 1
            except SecurityError as exc:
                failed.append((i, type(exc).__name__))
        return out, changed, failed
