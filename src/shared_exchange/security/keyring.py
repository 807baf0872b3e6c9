"""The keyring: wrapped data keys with purpose, scope and state, and the per-person keys.

``keys/keyring.json`` (0600) holds only KEK-wrapped key material. Writers take an
exclusive ``fcntl.flock`` on ``keys/keyring.lock``, re-read the file under the lock,
change it and replace it atomically, so parallel ingestion processes agree on one primary
per (purpose, scope, algorithm). Unwrapped keys are cached per process; other processes'
changes (rotation, retirement, destruction) are picked up within ``POLL_SECONDS``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared_exchange.config import Settings
from shared_exchange.security.errors import (
    KeyDestroyedError,
    KeyDisabledError,
    KeyNotFoundError,
    KeyringError,
)
from shared_exchange.security.key_cache import BoundedCache
from shared_exchange.security.key_records import (
    KEY_BYTES,
    PURPOSES,
    STATES,
    TOKEN_SCOPE,
    KeyRecord,
    new_key_id,
    now,
)
from shared_exchange.security.keyring_file import KeyringFile, Stamp
from shared_exchange.security.keyring_persons import PersonKeysMixin, person_record
from shared_exchange.security.kms import KeyEncryptionKey, LocalFileKMS, wrapped_by
from shared_exchange.security.person_keys import PersonKeyStore

log = logging.getLogger(__name__)

__all__ = ["KEY_BYTES", "PURPOSES", "STATES", "TOKEN_SCOPE", "KeyRecord", "Keyring",
           "open_keyring"]

_FORMAT = 1


def _primary_slot(purpose: str, scope: str, algorithm: str) -> str:
    return f"{purpose}|{scope}|{algorithm}"


class Keyring(PersonKeysMixin):
    """Envelope keys for one deployment (see module docstring for the concurrency rules)."""

    POLL_SECONDS = 1.0

    def __init__(
        self,
        keys_dir: Path,
        kms: KeyEncryptionKey,
        *,
        cipher: str = "aes-256-gcm",
        token_mac: str = "hmac-sha256",
    ) -> None:
        self.keys_dir = Path(keys_dir)
        self.path = self.keys_dir / "keyring.json"
        self.file = KeyringFile(self.keys_dir, kms)
        self.kms = kms
        self.default_algorithm = {"field": cipher, "person": cipher, "token": token_mac}
        self.persons = PersonKeyStore(self.keys_dir / "person_keys.sqlite", kms)
        self.generation = 0  # bumped whenever cached keys may be stale
        self._doc: dict[str, Any] = {"format": _FORMAT, "kek_id": kms.kek_id,
                                     "primaries": {}, "keys": {}}
        self._stamp: Stamp | None = None
        self._cache: BoundedCache = BoundedCache()  # key id → unwrapped key
        self._person_ids: BoundedCache = BoundedCache()  # (token, algorithm) → key id
        self._next_poll = 0.0
        self.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._reload()

    # -- file handling --
    def _reload(self) -> None:
        stamp = self.file.stamp()
        if stamp is None or stamp == self._stamp:
            return
        doc = self.file.read()
        self._doc, self._stamp = doc, stamp
        keys = doc["keys"]
        self._cache.drop_where(lambda k, _: k in keys and keys[k]["state"] != "enabled")
        self.generation += 1

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """Read-modify-write of keyring.json, exclusive across processes."""
        with self.file.locked():
            self._reload()
            doc = json.loads(json.dumps(self._doc))  # work on a copy; commit only on success
            yield doc
            if doc != self._doc:
                self.file.write(doc)
                self._reload()

    def poll(self) -> None:
        """Pick up other processes' key changes; cheap enough to call per value."""
        now = time.monotonic()
        if now < self._next_poll:
            return
        self._next_poll = now + self.POLL_SECONDS
        self._reload()
        gone, moved = self.persons.changes_since_last_poll()
        if moved:  # rotated or retired elsewhere: re-resolve primaries and states
            self._forget_person_choices()
        elif gone:
            gone_set = set(gone)
            self._cache.drop_where(lambda k, _: k in gone_set)
            self._person_ids.drop_where(lambda _, v: v in gone_set)
            self.generation += 1

    # -- records --
    def _record(self, key_id: str, entry: dict[str, Any]) -> KeyRecord:
        slot = _primary_slot(entry["purpose"], entry["scope"], entry["algorithm"])
        fields = {k: entry.get(k) for k in KeyRecord.__dataclass_fields__ if k != "primary"}
        fields["key_id"] = key_id
        return KeyRecord(**fields, primary=self._doc["primaries"].get(slot) == key_id)

    def records(self, purpose: str | None = None) -> list[KeyRecord]:
        """Every keyring key (no material), oldest first; person keys: see person_key_stats."""
        self._reload()
        recs = [self._record(k, e) for k, e in self._doc["keys"].items()]
        recs = [r for r in recs if purpose is None or r.purpose == purpose]
        return sorted(recs, key=lambda r: (r.created_at, r.key_id))

    def record(self, key_id: str) -> KeyRecord:
        """The record of a keyring key or of a person key (scope = the person's id token)."""
        entry = self._doc["keys"].get(key_id)
        if entry is None:
            self._reload()
            entry = self._doc["keys"].get(key_id)
        if entry is not None:
            return self._record(key_id, entry)
        row = self.persons.lookup(key_id) if key_id.startswith("p") else None
        if row is None:
            raise KeyNotFoundError(f"no key {key_id!r} in keyring {self.keys_dir}")
        return person_record(row)

    def records_for(self, key_ids: Iterable[str]) -> dict[str, KeyRecord]:
        """Records of many keys at once (person keys in batches of 500); unknown ids absent."""
        self._reload()
        out: dict[str, KeyRecord] = {}
        person_ids = []
        for key_id in dict.fromkeys(key_ids):
            entry = self._doc["keys"].get(key_id)
            if entry is not None:
                out[key_id] = self._record(key_id, entry)
            elif key_id.startswith("p"):
                person_ids.append(key_id)
        out.update((r.key_id, person_record(r)) for r in self.persons.lookup_many(person_ids))
        return out

    def person_key_stats(self) -> dict[str, int]:
        return self.persons.stats()

    # -- keys --
    def _algorithm(self, purpose: str, algorithm: str | None) -> str:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}; one of {PURPOSES}")
        algo = algorithm or self.default_algorithm[purpose]
        if algo not in KEY_BYTES:
            raise ValueError(f"unknown algorithm {algo!r}; one of {tuple(KEY_BYTES)}")
        return algo

    def _add_key(self, doc: dict[str, Any], purpose: str, scope: str, algorithm: str) -> str:
        key_id = new_key_id("k")
        wrapped = self.kms.wrap(os.urandom(KEY_BYTES[algorithm]), key_id=key_id)
        doc["keys"][key_id] = {
            "purpose": purpose, "scope": scope, "algorithm": algorithm, "state": "enabled",
            "created_at": now(), "retired_at": None, "destroyed_at": None,
            "wrapped": base64.b64encode(wrapped).decode("ascii"),
        }
        doc["primaries"][_primary_slot(purpose, scope, algorithm)] = key_id
        log.info("created %s key %s for scope %s (%s)", purpose, key_id, scope, algorithm)
        return key_id

    def primary(self, purpose: str, scope: str, *, algorithm: str | None = None) -> KeyRecord:
        """The key new values of (purpose, scope) are protected with; created if none."""
        if purpose == "person":
            raise ValueError("person keys come from person_keys(), not primary()")
        if not scope or "|" in scope:
            raise ValueError(f"key scope {scope!r} must be non-empty and free of '|'")
        algo = self._algorithm(purpose, algorithm)
        slot = _primary_slot(purpose, scope, algo)
        key_id = self._doc["primaries"].get(slot)
        if key_id is None:
            with self._locked() as doc:
                key_id = doc["primaries"].get(slot)
                if key_id is None:
                    self._refuse_silent_retokenisation(doc, purpose, scope, algo)
                    key_id = self._add_key(doc, purpose, scope, algo)
        return self._record(key_id, self._doc["keys"][key_id])

    @staticmethod
    def _refuse_silent_retokenisation(doc: dict[str, Any], purpose: str, scope: str,
                                      algo: str) -> None:
        """A lost token key must not be replaced quietly: every join would break."""
        if purpose == "token" and any(
            (e["purpose"], e["scope"], e["algorithm"]) == (purpose, scope, algo)
            for e in doc["keys"].values()
        ):
            raise KeyringError(
                f"the {algo} token key for scope {scope!r} was destroyed; a new one changes "
                "every token and breaks joins. Run Keyring.rotate('token') deliberately and "
                "re-tokenise from the landing files."
            )

    def rotate(self, purpose: str, scope: str | None = None) -> list[KeyRecord]:
        """New primaries for ``purpose`` (one scope or all); old keys still decrypt."""
        if purpose == "person":
            raise ValueError("person keys rotate with rotate_persons(); one key per person")
        new_ids: list[str] = []
        with self._locked() as doc:
            slots = [s.split("|", 2) for s in doc["primaries"]]
            if purpose == "token":  # also re-creates a destroyed token key, deliberately
                slots += [[e["purpose"], e["scope"], e["algorithm"]] for e in doc["keys"].values()]
            targets = {(p, s, a) for p, s, a in slots if p == purpose and scope in (None, s)}
            if scope is not None and not targets:
                targets = {(purpose, scope, self._algorithm(purpose, None))}
            for p, s, a in sorted(targets):
                new_ids.append(self._add_key(doc, p, s, a))
        return [self.record(k) for k in new_ids]

    def _set_state(self, key_id: str, change: Callable[[dict[str, Any], dict[str, Any]], None]
                   ) -> None:
        with self._locked() as doc:
            entry = doc["keys"].get(key_id)
            if entry is None:
                raise KeyNotFoundError(f"no key {key_id!r} in keyring {self.path}")
            change(doc, entry)
        self._cache.pop(key_id, None)
        self.generation += 1

    def retire(self, key_id: str) -> None:
        """Disable a non-primary key once nothing is encrypted under it any more."""
        def change(doc: dict[str, Any], entry: dict[str, Any]) -> None:
            if key_id in doc["primaries"].values():
                raise KeyringError(f"key {key_id} is a primary; rotate its scope first")
            if entry["state"] == "enabled":
                entry.update(state="disabled", retired_at=now())
        self._set_state(key_id, change)

    def enable(self, key_id: str) -> None:
        """Undo a retirement (e.g. a straggler file still uses the key)."""
        def change(doc: dict[str, Any], entry: dict[str, Any]) -> None:
            if entry["state"] == "destroyed":
                raise KeyDestroyedError(f"key {key_id} is destroyed and cannot be re-enabled")
            entry.update(state="enabled", retired_at=None)
        self._set_state(key_id, change)

    def destroy(self, key_id: str) -> None:
        """Wipe a key's wrapped material for good; everything under it becomes unreadable."""
        if key_id.startswith("p") and key_id not in self._doc["keys"]:
            if not self.persons.destroy_key(key_id):
                raise KeyNotFoundError(f"no live person key {key_id!r}")
            self._forget(key_id)
            return

        def change(doc: dict[str, Any], entry: dict[str, Any]) -> None:
            entry.update(state="destroyed", destroyed_at=now(), wrapped=None)
            slot = _primary_slot(entry["purpose"], entry["scope"], entry["algorithm"])
            if doc["primaries"].get(slot) == key_id:
                del doc["primaries"][slot]
        self._set_state(key_id, change)
        log.warning("destroyed key %s", key_id)

    def data_key(self, key_id: str) -> bytes:
        """Unwrapped key material; KeyDisabledError / KeyDestroyedError say why not."""
        key = self._cache.get(key_id)
        if key is not None:
            return key
        entry = self._doc["keys"].get(key_id)
        if entry is None:
            self._reload()
            entry = self._doc["keys"].get(key_id)
        if entry is not None:
            state, wrapped_b64 = entry["state"], entry.get("wrapped")
            wrapped = base64.b64decode(wrapped_b64) if wrapped_b64 else None
        else:
            row = self.persons.lookup(key_id) if key_id.startswith("p") else None
            if row is None:
                raise KeyNotFoundError(f"no key {key_id!r} in keyring {self.keys_dir}")
            state, wrapped = row.state, row.wrapped
        if state == "destroyed" or wrapped is None:
            raise KeyDestroyedError(f"key {key_id} was destroyed: values under it are erased")
        if state != "enabled":
            raise KeyDisabledError(
                f"key {key_id} is retired (state {state}); re-enable it to read old values"
            )
        key = self.kms.unwrap(wrapped, key_id=key_id)
        self._cache[key_id] = key
        return key

    def rewrap(self) -> tuple[int, int]:
        """Re-wrap every data key under the KMS's current KEK; (keyring, person) counts."""
        target, n = self.kms.kek_id, 0
        with self._locked() as doc:
            for key_id, entry in doc["keys"].items():
                if not entry.get("wrapped"):
                    continue
                wrapped = base64.b64decode(entry["wrapped"])
                if wrapped_by(wrapped) != target:
                    key = self.kms.unwrap(wrapped, key_id=key_id)
                    entry["wrapped"] = base64.b64encode(
                        self.kms.wrap(key, key_id=key_id)).decode("ascii")
                    n += 1
            doc["kek_id"] = target
        return n, self.persons.rewrap(self.kms)


_OPEN: dict[tuple[int, Path, str, str], Keyring] = {}


def open_keyring(settings: Settings, *, kms: KeyEncryptionKey | None = None,
                 cached: bool = True) -> Keyring:
    """The deployment's keyring (KEK and files created on first use), one per process."""
    key = (os.getpid(), settings.keys, settings.cipher, settings.token_mac)
    if cached and kms is None and key in _OPEN:
        return _OPEN[key]
    ring = Keyring(
        settings.keys,
        kms or LocalFileKMS(settings.keys / "kek.key"),
        cipher=settings.cipher,
        token_mac=settings.token_mac,
    )
    if cached and kms is None:
        _OPEN[key] = ring
    return ring
