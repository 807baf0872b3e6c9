"""The keyring's bounded caches: oldest entries go past the limit; keys still resolve."""

from __future__ import annotations

import pytest

from shared_exchange.config import Settings
from shared_exchange.security import FieldEncryptor, key_id_of, open_keyring
from shared_exchange.security.key_cache import BoundedCache


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_bounded_cache_forgets_the_oldest_entries():
    cache = BoundedCache(limit=3)
    for i in range(5):
        cache[i] = str(i)
    assert list(cache.items()) == [(2, "2"), (3, "3"), (4, "4")]
    cache.drop_where(lambda k, v: k == 3 or v == "4")
    assert list(cache) == [2]


def test_person_keys_past_the_cache_limit_still_decrypt(settings):
    ring = open_keyring(settings, cached=False)
    ring._cache.limit = ring._person_ids.limit = 4  # far fewer entries than persons
    enc = FieldEncryptor(ring, cache_size=2)
    subjects = [f"tok{i}" for i in range(20)]
    values = [f"v{i}" for i in range(20)]
    aads = [f"police.suspects|name|b/f/{i}" for i in range(20)]
    blobs = enc.encrypt_many(values, aads, "police/2022-03", subjects)
    assert len(ring._cache) <= 4 and len(ring._person_ids) <= 4
    # the same persons again resolve to the same keys (from the store, not a new key)
    again = enc.encrypt_many(values, aads, "police/2022-03", subjects)
    assert [key_id_of(b) for b in again] == [key_id_of(b) for b in blobs]
    assert FieldEncryptor(open_keyring(settings, cached=False)).decrypt_many(blobs, aads) == values
    assert ring.person_key_stats() == {"enabled": 20}
