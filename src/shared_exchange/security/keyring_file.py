"""The keyring's file on disk: private JSON, read-checked, locked and replaced atomically."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared_exchange.fsutil import fsync_dir
from shared_exchange.security.errors import KeyringError
from shared_exchange.security.kms import KeyEncryptionKey, check_private_file

Stamp = tuple[int, int, int]


class KeyringFile:
    """``keys/keyring.json`` plus ``keys/keyring.lock`` (fcntl.flock) for writers."""

    def __init__(self, keys_dir: Path, kms: KeyEncryptionKey) -> None:
        self.dir = keys_dir
        self.path = keys_dir / "keyring.json"
        self.lock_path = keys_dir / "keyring.lock"
        self.kms = kms

    def stamp(self) -> Stamp | None:
        """Changes whenever another process replaces the file (inode, mtime, size)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def read(self) -> dict[str, Any]:
        check_private_file(self.path, "keyring")
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyringError(f"keyring {self.path} is unreadable ({exc}); restore it") from exc
        check_kek(self.kms, doc.get("kek_id"), str(self.path))
        return doc

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes; callers re-read inside before changing anything."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def write(self, doc: dict[str, Any]) -> None:
        """Temp file (0600) + fsync + os.replace: readers see the old or the new file only."""
        tmp = self.path.with_name(f".keyring.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(self.dir)


def check_kek(kms: KeyEncryptionKey, kek_id: str | None, where: str) -> None:
    """Refuse a key store wrapped by a KEK this KMS does not hold (after one reload).

    A reload picks up a KEK rotation another process made; a store wrapped by a
    different KEK altogether stays refused.
    """
    if kek_id is None or kek_id in _known(kms):
        return
    reload = getattr(kms, "reload", None)
    if reload is not None:
        reload()
        if kek_id in _known(kms):
            return
    raise KeyringError(
        f"{where} was wrapped by KEK {kek_id!r} but the configured KEK is "
        f"{kms.kek_id!r}: point at the matching KEK file."
    )


def _known(kms: KeyEncryptionKey) -> frozenset[str]:
    return getattr(kms, "kek_ids", frozenset({kms.kek_id}))
