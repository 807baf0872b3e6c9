"""Keyring and KEK: permissions, no clear keys on disk, states, concurrency across processes."""

from __future__ import annotations

import base64
import json
import multiprocessing as mp
import os
import stat

import pytest

from shared_exchange.config import Settings
from shared_exchange.security import (
    DecryptionError,
    FieldEncryptor,
    KeyDestroyedError,
    KeyDisabledError,
    KeyNotFoundError,
    KeyRecord,
    KeyringError,
    LocalFileKMS,
    open_keyring,
)
from shared_exchange.security.kms import KeyEncryptionKey

AAD = "police.suspects|name|b1/suspects.csv/1"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private(settings):
    ring = open_keyring(settings, cached=False)
    ring.primary("field", "police/2022-03")
    ring.person_keys(["t1"])
    assert _mode(settings.keys) == 0o700
    for name in ("kek.key", "keyring.json", "person_keys.sqlite", "keyring.lock"):
        assert _mode(settings.keys / name) == 0o600, name


def test_no_clear_key_on_disk(settings):
    ring = open_keyring(settings, cached=False)
    ids = [ring.primary("field", f"police/2022-0{m}").key_id for m in range(1, 4)]
    ids.append(ring.primary("token", "join").key_id)
    person_ids = list(ring.person_keys(["t1", "t2"]).values())
    keyring_bytes = (settings.keys / "keyring.json").read_bytes()
    person_bytes = (settings.keys / "person_keys.sqlite").read_bytes()
    kek = (settings.keys / "kek.key").read_bytes()
    for key_id in ids + person_ids:
        key = ring.data_key(key_id)
        for form in (key, key.hex().encode(), base64.b64encode(key)):
            assert form not in keyring_bytes
            assert form not in person_bytes
    for form in (kek, kek.hex().encode(), base64.b64encode(kek)):
        assert form not in keyring_bytes and form not in person_bytes
    assert all(not hasattr(r, "wrapped") for r in ring.records())


def test_group_readable_kek_is_refused(settings):
    open_keyring(settings, cached=False)
    os.chmod(settings.keys / "kek.key", 0o640)
    with pytest.raises(KeyringError, match="chmod 600"):
        open_keyring(settings, cached=False)


def test_group_readable_keyring_is_refused(settings):
    open_keyring(settings, cached=False).primary("field", "s")
    os.chmod(settings.keys / "keyring.json", 0o644)
    with pytest.raises(KeyringError, match="chmod 600"):
        open_keyring(settings, cached=False)


def test_other_kek_is_refused(settings, tmp_path):
    open_keyring(settings, cached=False).primary("field", "s")
    with pytest.raises(KeyringError, match="KEK"):
        open_keyring(settings, kms=LocalFileKMS(tmp_path / "other.kek"), cached=False)


def test_swapped_wrapped_keys_do_not_unwrap(settings):
    ring = open_keyring(settings, cached=False)
    a, b = ring.primary("field", "a").key_id, ring.primary("field", "b").key_id
    path = settings.keys / "keyring.json"
    doc = json.loads(path.read_text())
    doc["keys"][a]["wrapped"], doc["keys"][b]["wrapped"] = (
        doc["keys"][b]["wrapped"], doc["keys"][a]["wrapped"])
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyringError, match="cannot unwrap"):
        open_keyring(settings, cached=False).data_key(a)


def test_local_kms_is_a_key_encryption_key(settings):
    kms = LocalFileKMS(settings.home / "k.kek")
    assert isinstance(kms, KeyEncryptionKey)
    wrapped = kms.wrap(b"k" * 32, key_id="k1")
    assert kms.unwrap(wrapped, key_id="k1") == b"k" * 32
    with pytest.raises(KeyringError):
        kms.unwrap(wrapped, key_id="k2")


def test_primary_is_stable_and_reloads(settings):
    ring = open_keyring(settings, cached=False)
    rec = ring.primary("field", "police/2022-03")
    assert isinstance(rec, KeyRecord) and rec.primary and rec.state == "enabled"
    assert ring.primary("field", "police/2022-03") == rec
    again = open_keyring(settings, cached=False)
    assert again.primary("field", "police/2022-03").key_id == rec.key_id
    assert again.data_key(rec.key_id) == ring.data_key(rec.key_id)
    assert len(ring.data_key(rec.key_id)) == 32
    assert len(ring.data_key(ring.primary("field", "x", algorithm="sm4-gcm").key_id)) == 16


def test_retire_enable_destroy(settings):
    ring = open_keyring(settings, cached=False)
    enc = FieldEncryptor(ring)
    blob = enc.encrypt("一", aad=AAD, scope="s")
    old = ring.primary("field", "s").key_id
    with pytest.raises(KeyringError, match="primary"):
        ring.retire(old)
    ring.rotate("field", "s")
    ring.retire(old)
    assert ring.record(old).state == "disabled"
    with pytest.raises(KeyDisabledError):
        enc.decrypt(blob, aad=AAD)
    ring.enable(old)
    assert enc.decrypt(blob, aad=AAD) == "一"
    ring.destroy(old)
    with pytest.raises(KeyDestroyedError):
        enc.decrypt(blob, aad=AAD)
    assert json.loads((settings.keys / "keyring.json").read_text())["keys"][old]["wrapped"] is None
    # A fresh process sees the same state.
    with pytest.raises(KeyDestroyedError):
        FieldEncryptor(open_keyring(settings, cached=False)).decrypt(blob, aad=AAD)
    with pytest.raises(KeyDestroyedError):
        ring.enable(old)


def test_unknown_key_id(settings):
    ring = open_keyring(settings, cached=False)
    with pytest.raises(KeyNotFoundError):
        ring.data_key("k00")
    assert issubclass(KeyNotFoundError, DecryptionError)


def test_other_process_destruction_is_seen(settings):
    ring = open_keyring(settings, cached=False)
    ring.POLL_SECONDS = 0.0
    enc = FieldEncryptor(ring)
    blob = enc.encrypt("一", aad=AAD, scope="s", subject="tok-a")
    assert enc.decrypt(blob, aad=AAD) == "一"  # key now cached in this process
    proc = mp.get_context("spawn").Process(target=_destroy_person, args=(settings, "tok-a"))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    with pytest.raises(KeyDestroyedError):
        enc.decrypt(blob, aad=AAD)


def _destroy_person(settings: Settings, token: str) -> None:
    open_keyring(settings, cached=False).destroy_person(token)


def _race(settings: Settings, barrier, queue) -> None:
    barrier.wait()
    ring = open_keyring(settings, cached=False)
    field = ring.primary("field", "police/2022-03").key_id
    token = ring.primary("token", "join").key_id
    persons = ring.person_keys([f"tok{i}" for i in range(50)])
    queue.put((field, token, sorted(persons.items())))


def test_concurrent_creation_ends_with_one_primary(settings):
    # spawn, not fork: a child forked while another thread of the test process held a lock
    # (logging, an import) can hang; CI saw one such run time out on the queue
    ctx = mp.get_context("spawn")
    n = 4
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(settings, barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in range(n)]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len({r[0] for r in results}) == 1
    assert len({r[1] for r in results}) == 1
    assert len({tuple(r[2]) for r in results}) == 1
    ring = open_keyring(settings, cached=False)
    field_keys = [r for r in ring.records("field") if r.scope == "police/2022-03"]
    assert len(field_keys) == 1 and field_keys[0].primary
    assert ring.person_key_stats() == {"enabled": 50}


def test_threads_share_one_keyring(settings):
    from concurrent.futures import ThreadPoolExecutor

    ring = open_keyring(settings, cached=False)
    ring.POLL_SECONDS = 0.0
    enc = FieldEncryptor(ring, cache_size=8)  # tiny LRU: threads evict each other's entries
    aads = [f"police.suspects|name|b/f/{i}" for i in range(200)]
    values = [str(i) for i in range(200)]
    blobs = enc.encrypt_many(values, aads, "s", [f"tok{i % 40}" for i in range(200)])

    def work(_: int) -> list[str]:
        fresh = FieldEncryptor(open_keyring(settings, cached=False))
        return [enc.decrypt(b, aad=a) for b, a in zip(blobs, aads, strict=True)] + \
            fresh.decrypt_many(blobs, aads)

    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(work, range(8)):
            assert got == values + values


def test_store_from_before_versions_is_migrated(settings):
    """A person-key store and wraps made before key versions and KEK ids still work."""
    import sqlite3

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kek = LocalFileKMS(settings.keys / "kek.key")
    clear = os.urandom(32)
    nonce = os.urandom(12)
    old_wrap = b"\x01" + nonce + AESGCM((settings.keys / "kek.key").read_bytes()).encrypt(
        nonce, clear, b"pold")
    path = settings.keys / "person_keys.sqlite"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE person_keys (key_id TEXT PRIMARY KEY, id_token TEXT NOT NULL,
                algorithm TEXT NOT NULL, state TEXT NOT NULL, wrapped BLOB,
                created_at TEXT NOT NULL, destroyed_at TEXT);
            CREATE UNIQUE INDEX person_keys_live ON person_keys (id_token, algorithm)
                WHERE state = 'enabled';
            CREATE TABLE destroyed_log (seq INTEGER PRIMARY KEY AUTOINCREMENT,
                key_id TEXT NOT NULL);
        """)
        db.execute("INSERT INTO person_keys VALUES ('pold', 't1', 'aes-256-gcm', 'enabled', ?, "
                   "'2022-01-01', NULL)", (old_wrap,))
    ring = open_keyring(settings, kms=kek, cached=False)
    assert ring.data_key("pold") == clear
    assert ring.person_key_id("t1") == "pold" and ring.record("pold").primary
    assert ring.rotate_persons() == 1
    new = ring.person_key_id("t1")
    assert new != "pold" and ring.persons.lookup(new).version == 2
    assert ring.record("pold").state == "enabled" and not ring.record("pold").primary


def test_wrapped_keys_name_their_kek(settings):
    from shared_exchange.security.kms import wrapped_by

    kms = LocalFileKMS(settings.home / "k.kek")
    wrapped = kms.wrap(b"k" * 32, key_id="k1")
    assert wrapped_by(wrapped) == kms.kek_id
    tampered = wrapped[:1] + b"0" * 16 + wrapped[17:]
    with pytest.raises(KeyringError, match="cannot unwrap"):
        kms.unwrap(tampered, key_id="k1")
