"""Key-encryption keys: the KMS interface and the default local 0600 KEK file.

Wrapping is AES-256-GCM with the key id as associated data rather than RFC 3394 key wrap:
key wrap has no associated data, so a wrapped key copied onto another record of the
keyring (or person-key table) would unwrap silently and route one dataset's or person's
ciphertexts to another key. With GCM + AD = key id that swap fails authentication.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared_exchange.security.errors import KeyringError

log = logging.getLogger(__name__)

KEK_BYTES = 32
_WRAP_FORMAT = b"\x01"


@runtime_checkable
class KeyEncryptionKey(Protocol):
    """What the keyring needs from a KMS; a cloud or HSM KMS implements the same three."""

    @property
    def kek_id(self) -> str: ...

    def wrap(self, data_key: bytes, *, key_id: str) -> bytes: ...

    def unwrap(self, wrapped: bytes, *, key_id: str) -> bytes: ...


def check_private_file(path: Path, what: str) -> None:
    """Refuse a secret file that group or others could read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyringError(
            f"{what} {path} has permissions {mode:04o}; group/other must have none. "
            f"Fix with: chmod 600 {path} (and check who could have read it)."
        )


def write_private_file_once(path: Path, data: bytes) -> bool:
    """Create ``path`` (0600) with ``data`` unless it exists; True when this call created it.

    Written to a temp file first and hard-linked into place, so a concurrent reader never
    sees a half-written secret and two creators cannot both win.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


class LocalFileKMS:
    """A 256-bit KEK in a local file with 0600 permissions, created on first use."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.exists() and write_private_file_once(self.path, os.urandom(KEK_BYTES)):
            log.info("created key-encryption key file %s", self.path)
        check_private_file(self.path, "KEK file")
        kek = self.path.read_bytes()
        if len(kek) != KEK_BYTES:
            raise KeyringError(
                f"KEK file {self.path} holds {len(kek)} bytes, expected {KEK_BYTES}: it is "
                "corrupt or not a KEK. Restore it from the key backup; never regenerate it "
                "while ciphertexts exist (they would become unreadable)."
            )
        self._aead = AESGCM(kek)
        # A public fingerprint, so a keyring can tell it was wrapped by another KEK.
        self._kek_id = hashlib.sha256(b"shared-exchange kek-id\x00" + kek).hexdigest()[:16]

    @property
    def kek_id(self) -> str:
        return self._kek_id

    def wrap(self, data_key: bytes, *, key_id: str) -> bytes:
        nonce = os.urandom(12)
        return _WRAP_FORMAT + nonce + self._aead.encrypt(nonce, data_key, key_id.encode())

    def unwrap(self, wrapped: bytes, *, key_id: str) -> bytes:
        if len(wrapped) < 1 + 12 + 16 or wrapped[:1] != _WRAP_FORMAT:
            raise KeyringError(f"wrapped key {key_id} is malformed; restore the keyring backup")
        try:
            return self._aead.decrypt(wrapped[1:13], wrapped[13:], key_id.encode())
        except InvalidTag:
            raise KeyringError(
                f"cannot unwrap key {key_id}: the KEK at {self.path} is not the one that "
                "wrapped it, or the keyring entry was altered. Restore the matching KEK."
            ) from None
