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

from shared_exchange.fsutil import fsync_dir
from shared_exchange.security.errors import KeyringError

log = logging.getLogger(__name__)

KEK_BYTES = 32
_WRAP_FORMAT = b"\x01"  # nonce | ct (KEK implied)
_WRAP_V2 = b"\x02"  # KEK id (16 ASCII hex) | nonce | ct
_KEK_ID_LEN = 16


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
    """A 256-bit KEK in a local file with 0600 permissions, created on first use.

    KEK rotation (``rotation_kek.rotate_kek``) puts the new KEK beside the old one in
    ``<name>.next``; while it exists it is the one new keys are wrapped with and both
    unwrap. Once every data key is re-wrapped it replaces the old file, which is gone.
    Wrapped keys name the KEK that wrapped them, so either can be routed to its KEK.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.next_path = self.path.with_name(self.path.name + ".next")
        if not self.path.exists() and write_private_file_once(self.path, os.urandom(KEK_BYTES)):
            log.info("created key-encryption key file %s", self.path)
        self._keks: dict[str, AESGCM] = {}
        self._base_id = self._kek_id = ""
        self.reload()

    def _load(self, path: Path) -> tuple[str, AESGCM]:
        check_private_file(path, "KEK file")
        kek = path.read_bytes()
        if len(kek) != KEK_BYTES:
            raise KeyringError(
                f"KEK file {path} holds {len(kek)} bytes, expected {KEK_BYTES}: it is "
                "corrupt or not a KEK. Restore it from the key backup; never regenerate it "
                "while ciphertexts exist (they would become unreadable)."
            )
        # A public fingerprint, so a keyring can tell it was wrapped by another KEK.
        return hashlib.sha256(b"shared-exchange kek-id\x00" + kek).hexdigest()[:16], AESGCM(kek)

    def reload(self) -> None:
        """Re-read the KEK file(s): picks up a rotation another process started or finished."""
        base_id, base = self._load(self.path)
        keks = {base_id: base}
        wrap_id = base_id
        try:
            next_id, nxt = self._load(self.next_path)
        except FileNotFoundError:
            pass
        else:
            keks[next_id], wrap_id = nxt, next_id
        self._keks, self._base_id, self._kek_id = keks, base_id, wrap_id

    @property
    def kek_id(self) -> str:
        """The KEK new keys are wrapped with (the next one while a rotation is under way)."""
        return self._kek_id

    @property
    def base_kek_id(self) -> str:
        """The KEK in the main file (the old one while a rotation is under way)."""
        return self._base_id

    @property
    def kek_ids(self) -> frozenset[str]:
        return frozenset(self._keks)

    def wrap(self, data_key: bytes, *, key_id: str) -> bytes:
        nonce = os.urandom(12)
        kek_id = self._kek_id
        sealed = self._keks[kek_id].encrypt(nonce, data_key, key_id.encode())
        return _WRAP_V2 + kek_id.encode("ascii") + nonce + sealed

    def unwrap(self, wrapped: bytes, *, key_id: str) -> bytes:
        kek_id = wrapped_by(wrapped)
        if kek_id is None and wrapped[:1] == _WRAP_FORMAT:  # before KEK ids: the base KEK
            kek_id, body = self._base_id, wrapped[1:]
        elif kek_id is not None:
            body = wrapped[1 + _KEK_ID_LEN:]
        else:
            body = b""
        if len(body) < 12 + 16:
            raise KeyringError(f"wrapped key {key_id} is malformed; restore the keyring backup")
        if kek_id not in self._keks:
            self.reload()  # another process may have rotated the KEK meanwhile
        aead = self._keks.get(kek_id)
        try:
            if aead is None:
                raise InvalidTag
            return aead.decrypt(body[:12], body[12:], key_id.encode())
        except InvalidTag:
            raise KeyringError(
                f"cannot unwrap key {key_id}: the KEK at {self.path} is not the one that "
                "wrapped it, or the keyring entry was altered. Restore the matching KEK."
            ) from None

    # -- rotation of the KEK itself --
    def begin_rotation(self) -> str:
        """Create ``<name>.next`` (0600) unless a crashed rotation left one; its KEK id."""
        if write_private_file_once(self.next_path, os.urandom(KEK_BYTES)):
            log.info("created next key-encryption key file %s", self.next_path)
        self.reload()
        return self._kek_id

    def finish_rotation(self) -> None:
        """Replace the old KEK file by the next one (call only when nothing needs the old)."""
        os.replace(self.next_path, self.path)
        fsync_dir(self.path.parent)
        self.reload()
        log.info("key-encryption key rotated; the old KEK file is gone")


def wrapped_by(wrapped: bytes) -> str | None:
    """The KEK id a wrapped key names (None for the first format, which names none)."""
    if wrapped[:1] != _WRAP_V2 or len(wrapped) < 1 + _KEK_ID_LEN:
        return None
    try:
        return bytes(wrapped[1 : 1 + _KEK_ID_LEN]).decode("ascii")
    except UnicodeDecodeError:
        return None
