"""The keyring's per-person keys: one key per person and version, rotation, crypto-shredding.

A mixin of ``Keyring`` (kept apart to keep each module small); the rows themselves live
in ``person_keys.PersonKeyStore``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from shared_exchange.security.key_records import KEY_BYTES, KeyRecord, new_key_id
from shared_exchange.security.person_keys import PersonKeyRow

if TYPE_CHECKING:
    from shared_exchange.security.key_cache import BoundedCache
    from shared_exchange.security.kms import KeyEncryptionKey
    from shared_exchange.security.person_keys import PersonKeyStore

log = logging.getLogger("shared_exchange.security.keyring")


class PersonKeysMixin:
    """Person-key methods of ``Keyring`` (which provides ``_algorithm`` and ``poll``)."""

    persons: PersonKeyStore
    kms: KeyEncryptionKey
    generation: int
    _cache: BoundedCache
    _person_ids: BoundedCache

    def preload(self, key_ids: Iterable[str]) -> None:
        """Unwrap many person keys with one query per 500 (decrypting a whole column)."""
        wanted = [k for k in dict.fromkeys(key_ids) if k.startswith("p") and k not in self._cache]
        for row in self.persons.lookup_many(wanted):
            if row.state == "enabled" and row.wrapped is not None and row.key_id not in self._cache:
                self._cache[row.key_id] = self.kms.unwrap(row.wrapped, key_id=row.key_id)

    # -- person keys --
    def person_keys(self, tokens: Iterable[str], *, algorithm: str | None = None
                    ) -> dict[str, str]:
        """id token → person key id for a whole column, creating missing keys in one go."""
        algo = self._algorithm("person", algorithm)
        self.poll()
        wanted = list(dict.fromkeys(tokens))
        out = {t: k for t in wanted if (k := self._person_ids.get((t, algo))) is not None}
        missing = [t for t in wanted if t not in out]
        if missing:
            mine: dict[str, bytes] = {}
            found = self.persons.ensure(
                missing, algo, lambda: os.urandom(KEY_BYTES[algo]), lambda: new_key_id("p"),
                mine,
            )
            for token, (key_id, wrapped) in found.items():
                if key_id not in self._cache:
                    key = mine.get(key_id) or self.kms.unwrap(wrapped, key_id=key_id)
                    self._cache[key_id] = key
                self._person_ids[(token, algo)] = key_id
                out[token] = key_id
        return out

    def person_key_id(self, id_token: str, *, algorithm: str | None = None) -> str:
        return self.person_keys([id_token], algorithm=algorithm)[id_token]

    def destroy_person(self, id_token: str) -> list[str]:
        """Crypto-shred one person: wipe all their key material; returns the key ids."""
        ids = self.persons.destroy_token(id_token)
        for key_id in ids:
            self._forget(key_id)
        log.warning("crypto-shredded %d person key(s): %s", len(ids), ", ".join(ids))
        return ids

    def rotate_persons(self) -> int:
        """A new primary key version for every person (one transaction); how many."""
        n = self.persons.rotate(lambda algo: os.urandom(KEY_BYTES[algo]), lambda: new_key_id("p"))
        self._forget_person_choices()
        return n

    def retire_persons(self, referenced: set[str]) -> tuple[int, int]:
        """Disable old person-key versions no ciphertext uses; (retired, still used)."""
        counts = self.persons.retire_unreferenced(referenced)
        self._forget_person_choices()
        return counts

    def _forget_person_choices(self) -> None:
        self._person_ids.clear()
        self._cache.drop_where(lambda k, _: k.startswith("p"))
        self.generation += 1

    def _forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)
        self._person_ids.drop_where(lambda _, v: v == key_id)
        self.generation += 1


def person_record(row: PersonKeyRow) -> KeyRecord:
    """A person key as a KeyRecord (scope = the person's id token)."""
    return KeyRecord(row.key_id, "person", row.id_token, row.algorithm, row.state, "",
                     primary=row.primary)
