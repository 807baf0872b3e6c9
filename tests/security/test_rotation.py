"""Rotation with re-encryption of raw Parquet files, and crypto-shredding of one person."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shared_exchange.config import Settings
from shared_exchange.identity import make_id
from shared_exchange.raw_rewrites import raw_rewrite_stamp
from shared_exchange.security import (
    FieldEncryptor,
    KeyDestroyedError,
    KeyringError,
    Tokenizer,
    field_aad,
    key_id_of,
    open_keyring,
    quarantine_aad,
    rotate_and_reencrypt,
    shred_person,
)
from shared_exchange.warehouse.dbt import build_digest

SCOPE = "police/2022-03"
BATCH = "police-20220301"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


def _people(n: int) -> tuple[list[str], list[str]]:
    ids = [make_id("330106", dt.date(1980, 1, 1) + dt.timedelta(days=37 * i), i) for i in range(n)]
    names = ["甲乙丙丁戊己庚辛壬癸"[i % 10] + "一二三四五"[i % 5] for i in range(n)]
    return ids, names


def _write_raw(settings: Settings, n: int = 6) -> tuple[list[str], list[str], list[str]]:
    ring = open_keyring(settings)
    enc, tok = FieldEncryptor(ring, settings.cipher), Tokenizer(ring)
    ids, names = _people(n)
    tokens = tok.token_many(ids, "id")
    row_ids = [f"{BATCH}/suspects.csv/{i + 2}" for i in range(n)]
    aad = {c: [field_aad("police", "suspects", c, r) for r in row_ids]
           for c in ("id_number", "name")}
    table = pa.table({
        "_source": ["police"] * n, "_table": ["suspects"] * n, "_row_id": row_ids,
        "id_token": tokens, "charge": ["盗窃"] * n,
        "id_number_enc": pa.array(enc.encrypt_many(ids, aad["id_number"], SCOPE), pa.binary()),
        "name_enc": pa.array(enc.encrypt_many(names, aad["name"], SCOPE, subjects=tokens),
                             pa.binary()),
    })
    path = settings.raw / "police" / "suspects" / f"{BATCH}.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path, compression="zstd")
    plain = settings.raw / "police" / "cases" / f"{BATCH}.parquet"  # no PII columns
    plain.parent.mkdir(parents=True)
    pq.write_table(pa.table({"_row_id": row_ids, "charge": ["盗窃"] * n}), plain)
    line_id = f"{BATCH}/suspects.csv/99"
    quarantine = pa.table({
        "batch_id": [BATCH], "source": ["police"], "file": ["suspects.csv"],
        "table": ["suspects"], "line": [99], "field": ["id_number"], "reason": ["bad date"],
        "reason_code": ["bad_date"],
        "raw_enc": pa.array([enc.encrypt("一,二,三", aad=quarantine_aad(line_id), scope=SCOPE)],
                            pa.binary()),
    })
    qpath = settings.quarantine / "police" / f"{BATCH}.parquet"
    qpath.parent.mkdir(parents=True)
    pq.write_table(quarantine, qpath)
    return ids, names, tokens


def _read_back(settings: Settings, enc: FieldEncryptor, **erased):
    t = pq.read_table(settings.raw / "police" / "suspects" / f"{BATCH}.parquet")
    rows = t.column("_row_id").to_pylist()
    ids = enc.decrypt_many(t.column("id_number_enc").to_pylist(),
                           [field_aad("police", "suspects", "id_number", r) for r in rows])
    names = enc.decrypt_many(t.column("name_enc").to_pylist(),
                             [field_aad("police", "suspects", "name", r) for r in rows],
                             **erased)
    return t, ids, names


def test_rotate_keeps_old_blobs_and_uses_new_key(settings):
    ring = open_keyring(settings, cached=False)
    enc = FieldEncryptor(ring)
    aad = field_aad("court", "judgments", "name", "b/f/1")
    old_blob = enc.encrypt("一", aad=aad, scope=SCOPE)
    old_id = key_id_of(old_blob)
    (new,) = ring.rotate("field", SCOPE)
    assert new.key_id != old_id and new.primary
    assert enc.decrypt(old_blob, aad=aad) == "一"
    assert key_id_of(enc.encrypt("一", aad=aad, scope=SCOPE)) == new.key_id
    assert ring.record(old_id).state == "enabled" and not ring.record(old_id).primary
    moved = enc.reencrypt(old_blob, aad=aad)
    assert key_id_of(moved) == new.key_id and enc.decrypt(moved, aad=aad) == "一"
    assert enc.reencrypt(moved, aad=aad) is moved


def test_rotate_and_reencrypt_rewrites_raw_and_quarantine(settings):
    ids, names, tokens = _write_raw(settings)
    ring = open_keyring(settings)
    old_field = ring.primary("field", SCOPE).key_id
    before = pq.read_table(settings.raw / "police" / "suspects" / f"{BATCH}.parquet")
    digest = build_digest(settings)
    assert raw_rewrite_stamp(settings) == ""

    report = rotate_and_reencrypt(settings)
    # files rewritten in place: the next build is a full refresh (staging merges only new
    # batches and would keep the old ciphertexts)
    stamp = raw_rewrite_stamp(settings)
    assert stamp and build_digest(settings) != digest

    assert report.files_scanned == 3 and report.files_rewritten == 2
    assert report.values_reencrypted == len(ids) + 1  # id column + quarantine line
    assert report.errors == [] and report.still_referenced == []
    assert report.retired_keys == [old_field]
    assert ring.record(old_field).state == "disabled"
    new_field = ring.primary("field", SCOPE).key_id
    assert report.new_keys == [new_field]
    enc = FieldEncryptor(ring)
    after, got_ids, got_names = _read_back(settings, enc)
    assert got_ids == ids and got_names == names
    assert {key_id_of(b) for b in after.column("id_number_enc").to_pylist()} == {new_field}
    # Person-key blobs are not rotated; clear columns are untouched.
    assert after.column("name_enc").to_pylist() == before.column("name_enc").to_pylist()
    assert after.column("id_token").to_pylist() == tokens
    assert after.schema == before.schema
    raw_path = settings.raw / "police" / "suspects" / f"{BATCH}.parquet"
    assert pq.ParquetFile(raw_path).metadata.row_group(0).column(0).compression == "ZSTD"
    q = pq.read_table(settings.quarantine / "police" / f"{BATCH}.parquet")
    blob = q.column("raw_enc").to_pylist()[0]
    assert key_id_of(blob) == new_field
    assert enc.decrypt(blob, aad=quarantine_aad(f"{BATCH}/suspects.csv/99")) == "一,二,三"
    assert not list(settings.raw.rglob(".*"))  # no temp files left behind
    # A second rotation moves everything again and retires the first run's key.
    again = rotate_and_reencrypt(settings)
    assert raw_rewrite_stamp(settings) not in ("", stamp)
    assert again.values_reencrypted == len(ids) + 1 and again.retired_keys == [new_field]
    assert _read_back(settings, FieldEncryptor(ring))[1:] == (ids, names)


def test_rotation_refuses_token_purpose(settings):
    with pytest.raises(ValueError, match="breaks joins"):
        rotate_and_reencrypt(settings, purpose="token")


def test_shred_person_erases_only_that_person(settings):
    ids, names, tokens = _write_raw(settings)
    victim = 2
    destroyed = shred_person(settings, tokens[victim])
    assert len(destroyed) == 1
    enc = FieldEncryptor(open_keyring(settings, cached=False))
    with pytest.raises(KeyDestroyedError):
        _read_back(settings, enc)
    _, got_ids, got_names = _read_back(settings, enc, destroyed_as=None)
    assert got_ids == ids  # dataset-key columns are not the person's key
    expected = list(names)
    expected[victim] = None
    assert got_names == expected
    # The pipeline keeps running: rotation still works and new data can be written.
    report = rotate_and_reencrypt(settings)
    assert report.errors == []
    aad = field_aad("police", "suspects", "name", "b2/f/1")
    blob = enc.encrypt("一", aad=aad, scope=SCOPE, subject=tokens[victim])
    assert key_id_of(blob) not in destroyed and enc.decrypt(blob, aad=aad) == "一"
    assert shred_person(settings, "no-such-token") == []


def _person_states(settings: Settings) -> dict[str, int]:
    return open_keyring(settings, cached=False).person_key_stats()


def test_person_rotation_gives_every_person_a_new_version(settings):
    ids, names, tokens = _write_raw(settings)
    ring = open_keyring(settings)
    old_person = set(ring.person_keys(tokens).values())
    before = pq.read_table(settings.raw / "police" / "suspects" / f"{BATCH}.parquet")

    report = rotate_and_reencrypt(settings, purpose="person")

    assert report.new_keys == [] and report.new_person_keys == len(ids)
    assert report.values_reencrypted == len(ids) and report.errors == []
    assert report.retired_person_keys == len(ids) and report.person_keys_still_referenced == 0
    after, got_ids, got_names = _read_back(settings, FieldEncryptor(ring))
    assert (got_ids, got_names) == (ids, names)
    new_ids = {key_id_of(b) for b in after.column("name_enc").to_pylist()}
    assert new_ids.isdisjoint(old_person) and len(new_ids) == len(ids)
    assert all(ring.record(k).primary for k in new_ids)
    assert {ring.record(k).state for k in old_person} == {"disabled"}
    # Field-key blobs were not touched by a person rotation.
    assert after.column("id_number_enc").to_pylist() == before.column("id_number_enc").to_pylist()
    assert _person_states(settings) == {"enabled": len(ids), "disabled": len(ids)}
    # New values of a person use the new version.
    aad = field_aad("police", "suspects", "name", "b2/f/1")
    blob = FieldEncryptor(ring).encrypt("一", aad=aad, scope=SCOPE, subject=tokens[0])
    assert key_id_of(blob) in new_ids


def test_other_processes_pick_up_new_person_primaries(settings):
    _, _, tokens = _write_raw(settings, n=3)
    writer = open_keyring(settings, cached=False)
    writer.POLL_SECONDS = 0.0
    enc = FieldEncryptor(writer)
    aad = field_aad("police", "suspects", "name", "b2/f/1")
    old = key_id_of(enc.encrypt("一", aad=aad, scope=SCOPE, subject=tokens[0]))
    rotate_and_reencrypt(settings, purpose="person", keyring=open_keyring(settings, cached=False))
    blob = enc.encrypt("一", aad=aad, scope=SCOPE, subject=tokens[0])
    assert key_id_of(blob) != old and writer.record(key_id_of(blob)).primary
    assert enc.decrypt(blob, aad=aad) == "一"


def test_rotate_all_with_a_shredded_person_keeps_them_erased(settings):
    ids, names, tokens = _write_raw(settings)
    rotate_and_reencrypt(settings, purpose="person")  # the victim now has two versions
    destroyed = shred_person(settings, tokens[1])
    assert len(destroyed) == 2  # every version of their key
    report = rotate_and_reencrypt(settings, purpose="all")
    assert report.errors == [] and len(report.new_keys) == 1
    # The shredded person has no enabled key left to rotate.
    assert report.new_person_keys == len(ids) - 1
    ring = open_keyring(settings, cached=False)
    _, got_ids, got_names = _read_back(settings, FieldEncryptor(ring), destroyed_as=None)
    assert got_ids == ids
    assert got_names == [None if i == 1 else n for i, n in enumerate(names)]
    t = pq.read_table(settings.raw / "police" / "suspects" / f"{BATCH}.parquet")
    for blob in t.column("name_enc").to_pylist() + t.column("id_number_enc").to_pylist():
        rec = ring.record(key_id_of(blob))
        assert rec.primary or rec.state == "destroyed"


def test_rotate_kek_rewraps_everything_and_removes_the_old_kek(settings, tmp_path):
    from shared_exchange.security import LocalFileKMS
    from shared_exchange.security.kms import wrapped_by
    from shared_exchange.security.rotation import rotate_kek

    ids, names, tokens = _write_raw(settings)
    kek_path = settings.keys / "kek.key"
    old_kek = kek_path.read_bytes()
    stale = open_keyring(settings, cached=False)  # another process, opened before
    stale.POLL_SECONDS = 0.0

    report = rotate_kek(settings, keyring=open_keyring(settings, cached=False))

    assert report.old_kek_removed and report.old_kek_id != report.new_kek_id
    assert report.keyring_keys_rewrapped == 2  # field + token key
    assert report.person_keys_rewrapped == len(ids)
    assert kek_path.read_bytes() != old_kek
    assert not (settings.keys / "kek.key.next").exists()
    assert oct(kek_path.stat().st_mode & 0o777) == "0o600"
    fresh = open_keyring(settings, cached=False)
    assert fresh.kms.kek_ids == {report.new_kek_id}
    assert _read_back(settings, FieldEncryptor(fresh))[1:] == (ids, names)
    with sqlite_rows(settings) as rows:
        assert {wrapped_by(w) for (w,) in rows} == {report.new_kek_id}
    # The old KEK opens nothing any more.
    old_file = tmp_path / "old.kek"
    old_file.write_bytes(old_kek)
    old_file.chmod(0o600)
    with pytest.raises(KeyringError, match="KEK"):
        open_keyring(settings, kms=LocalFileKMS(old_file), cached=False)
    # No downtime: a keyring opened before the rotation still reads and makes new keys,
    # and they are wrapped by the new KEK.
    assert _read_back(settings, FieldEncryptor(stale))[1:] == (ids, names)
    new_key = stale.person_key_id("someone-new")
    assert wrapped_by(stale.persons.lookup(new_key).wrapped) == report.new_kek_id
    assert open_keyring(settings, cached=False).data_key(new_key) == stale.data_key(new_key)


def test_rotate_kek_catches_keys_made_by_a_process_with_the_old_kek(settings):
    from shared_exchange.security.kms import wrapped_by
    from shared_exchange.security.rotation import rotate_kek

    _write_raw(settings, n=2)
    stale = open_keyring(settings, cached=False)
    ring = open_keyring(settings, cached=False)
    ring.kms.begin_rotation()  # a rotation that crashed right after writing the new KEK
    late = stale.person_key_id("late-person")  # wrapped by the old KEK
    assert wrapped_by(stale.persons.lookup(late).wrapped) == ring.kms.base_kek_id
    report = rotate_kek(settings, keyring=ring)
    assert report.person_keys_rewrapped == 3
    assert open_keyring(settings, cached=False).data_key(late) == stale.data_key(late)


def sqlite_rows(settings: Settings):
    import contextlib
    import sqlite3

    @contextlib.contextmanager
    def rows():
        db = sqlite3.connect(settings.keys / "person_keys.sqlite")
        try:
            yield db.execute("SELECT wrapped FROM person_keys WHERE wrapped IS NOT NULL")
        finally:
            db.close()
    return rows()
