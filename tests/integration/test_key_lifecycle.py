"""Key lifecycle end to end through the real pipeline: rotate, rotate the KEK, crypto-shred.

Synthetic departments' batches are ingested into the encrypted raw layer and built with
real dbt; then every key that protects PII is rotated (field and person keys) with the
raw layer and quarantine re-encrypted, the KEK is replaced, and one person is shredded.
After each step every ciphertext is decrypted again and compared with what it held
before (in memory only), and the pipeline keeps running: dbt builds, and a later day's
delivery is ingested and built after the shredding.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shared_exchange import SOURCES
from shared_exchange.audit import AuditLog
from shared_exchange.config import Settings, load_settings
from shared_exchange.ingest.load import ingest_source
from shared_exchange.security import (
    FieldEncryptor,
    KeyDestroyedError,
    KeyringError,
    LocalFileKMS,
    field_aad,
    key_id_of,
    open_keyring,
    quarantine_aad,
)
from shared_exchange.security.rotation import rotate_and_reencrypt, rotate_kek, shred_person
from shared_exchange.security.unmask import unmask
from shared_exchange.synth import generate
from shared_exchange.warehouse.dbt import build_digest, run_dbt

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

LAST_DAY = "2022-03-04"  # held back, delivered after the shredding
Cell = tuple[str, str, int]  # (file relative to home, column, row)


def _aads(settings: Settings, path: Path, column: str) -> list[str]:
    """Associated data as docs/raw-layer.md defines it (rebuilt here, not borrowed)."""
    t = pq.read_table(path)
    if path.is_relative_to(settings.quarantine):
        return [quarantine_aad(f"{b}/{f}/{n}") for b, f, n in zip(
            *(t.column(c).to_pylist() for c in ("batch_id", "file", "line")), strict=True)]
    return [field_aad(s, tb, column.removesuffix("_enc"), r) for s, tb, r in zip(
        *(t.column(c).to_pylist() for c in ("_source", "_table", "_row_id")), strict=True)]


def _blobs(settings: Settings) -> dict[Cell, bytes]:
    out: dict[Cell, bytes] = {}
    for root in (settings.raw, settings.quarantine):
        for path in sorted(root.rglob("*.parquet")):
            t = pq.read_table(path)
            for col in (c for c in t.column_names if c.endswith("_enc")):
                rel = str(path.relative_to(settings.home))
                for i, blob in enumerate(t.column(col).to_pylist()):
                    if blob is not None:
                        out[(rel, col, i)] = blob
    return out


def _decrypt_all(settings: Settings, enc: FieldEncryptor) -> dict[Cell, str | None]:
    """Every ciphertext of raw + quarantine, decrypted in memory; erased values are None."""
    out: dict[Cell, str | None] = {}
    blobs = _blobs(settings)
    for rel, col in sorted({(r, c) for r, c, _ in blobs}):
        path = settings.home / rel
        aads = _aads(settings, path, col)
        rows = [i for (r, c, i) in blobs if (r, c) == (rel, col)]
        clear = enc.decrypt_many([blobs[(rel, col, i)] for i in rows], [aads[i] for i in rows],
                                 destroyed_as=None)
        out.update(((rel, col, i), v) for i, v in zip(rows, clear, strict=True))
    return out


def _tokens_by_cell(settings: Settings) -> dict[Cell, str]:
    out: dict[Cell, str] = {}
    for path in sorted(settings.raw.rglob("*.parquet")):
        t = pq.read_table(path)
        if "id_token" not in t.column_names:
            continue
        rel = str(path.relative_to(settings.home))
        tokens = t.column("id_token").to_pylist()
        for col in (c for c in t.column_names if c.endswith("_enc")):
            for i, token in enumerate(tokens):
                if token:
                    out[(rel, col, i)] = token
    return out


def _build(settings: Settings, name: str) -> None:
    run_dbt(["build"], settings, settings.warehouse / "builds" / f"{name}.duckdb")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> tuple[Settings, Path]:
    """Three days of four departments ingested and built; the fourth day held back."""
    settings = load_settings(tmp_path_factory.mktemp("keys") / "home")
    generate(settings, persons=80, days=4, seed=3)
    held = settings.home.parent / "held-back"
    for day in sorted(settings.landing.glob(f"*/{LAST_DAY}")):
        shutil.move(day, held / day.parent.name / LAST_DAY)
    for source in SOURCES:
        assert ingest_source(settings, source), source
    _build(settings, "before")
    return settings, held


def test_rotation_kek_rotation_and_shredding_through_the_pipeline(pipeline):
    settings, held = pipeline
    ring = open_keyring(settings)
    reader = open_keyring(settings, cached=False)  # a reader that was running all along
    reader.POLL_SECONDS = 0.0
    before = _decrypt_all(settings, FieldEncryptor(ring, settings.cipher))
    assert len(before) > 500 and None not in before.values()
    assert any(r.startswith("quarantine/") for r, _, _ in before), "no quarantined line"
    old_ids = {key_id_of(b) for b in _blobs(settings).values()}
    assert any(k.startswith("p") for k in old_ids) and any(k.startswith("k") for k in old_ids)

    # -- 1. rotate every key that protects PII; re-encrypt raw and quarantine --
    report = rotate_and_reencrypt(settings, purpose="all")
    assert report.errors == [] and report.still_referenced == []
    assert report.person_keys_still_referenced == 0
    assert report.values_reencrypted == len(before)
    after_blobs = _blobs(settings)
    assert set(after_blobs) == set(before)
    assert not {key_id_of(b) for b in after_blobs.values()} & old_ids
    records = ring.records_for(old_ids)
    assert {records[k].state for k in old_ids} == {"disabled"}
    assert all(r.primary for r in ring.records_for(key_id_of(b) for b in after_blobs.values())
               .values())
    assert _decrypt_all(settings, FieldEncryptor(ring, settings.cipher)) == before
    assert _decrypt_all(settings, FieldEncryptor(reader, settings.cipher)) == before
    _build(settings, "rotated")

    # -- 2. rotate the KEK: every data key re-wrapped, the old KEK file removed --
    kek_path = settings.keys / "kek.key"
    old_kek = kek_path.read_bytes()
    kek = rotate_kek(settings)
    assert kek.old_kek_removed and kek.person_keys_rewrapped == 2 * report.new_person_keys
    assert kek_path.read_bytes() != old_kek and not (settings.keys / "kek.key.next").exists()
    fresh = open_keyring(settings, cached=False)
    assert _decrypt_all(settings, FieldEncryptor(fresh, settings.cipher)) == before
    assert _decrypt_all(settings, FieldEncryptor(reader, settings.cipher)) == before
    stolen = settings.home.parent / "stolen-old.kek"
    stolen.write_bytes(old_kek)
    stolen.chmod(0o600)
    with pytest.raises(KeyringError):
        open_keyring(settings, kms=LocalFileKMS(stolen), cached=False)

    # -- 3. crypto-shred one person picked from a raw suspects file --
    tokens = _tokens_by_cell(settings)
    suspects = [t for (r, _, _), t in tokens.items() if r.startswith("raw/police/suspects/")]
    spread = Counter(tokens.values())
    victim = max(set(suspects), key=lambda t: (spread[t], t))
    victim_cells = {c for c, t in tokens.items() if t == victim}
    assert len({tuple(r.split("/")[1:3]) for r, _, _ in victim_cells}) >= 2  # several tables
    digest = build_digest(settings)
    destroyed = shred_person(settings, victim)
    assert len(destroyed) == 2  # both versions of their key
    # raw rewritten in place: the next build is a full refresh (staging keeps no old form)
    assert build_digest(settings) != digest
    # their masked display forms are blanked too; everyone else's stay
    masked = pq.read_table(next(settings.raw.glob("police/suspects/police-*.parquet")).parent,
                           columns=["id_token", "id_number_masked", "name_masked"]).to_pylist()
    assert all(r["id_number_masked"] is None and r["name_masked"] is None
               for r in masked if r["id_token"] == victim)
    assert any(r["name_masked"] for r in masked if r["id_token"] != victim)
    enc = FieldEncryptor(open_keyring(settings, cached=False), settings.cipher)
    blobs = _blobs(settings)
    for rel, col, i in sorted(victim_cells):
        aad = _aads(settings, settings.home / rel, col)[i]
        with pytest.raises(KeyDestroyedError):
            enc.decrypt(blobs[(rel, col, i)], aad=aad)
    after = _decrypt_all(settings, FieldEncryptor(reader, settings.cipher))
    assert {c for c, v in after.items() if v is None} == victim_cells
    assert {c: v for c, v in after.items() if c not in victim_cells} == {
        c: v for c, v in before.items() if c not in victim_cells}

    # Unmask of the shredded person returns no clear value, and the log says erased.
    victim_rows = _suspect_rows(settings, victim)
    other_rows = _suspect_rows(settings, next(t for t in suspects if t != victim))[:1]
    columns = ["id_number", "name"]
    out = unmask(settings, actor="officer-7", role="case_officer", purpose="case_handling",
                 approver="chief-2", dataset="police.suspects",
                 row_keys=victim_rows + other_rows, columns=columns)
    assert all(row[c] is None for row in out[: len(victim_rows)] for c in columns)
    assert all(out[-1][c] for c in columns)  # someone else: clear values
    erased = [e for e in AuditLog(settings).events()
              if e["type"] == "unmask" and e["reason"] == "key destroyed (erased)"]
    assert len(erased) == len(victim_rows) * len(columns)

    # -- 4. the pipeline keeps running: one more day delivered, ingested and built --
    for day in sorted(held.glob(f"*/{LAST_DAY}")):
        shutil.move(day, settings.landing / day.parent.name / LAST_DAY)
    for source in SOURCES:
        (result,) = ingest_source(settings, source)
        assert result.status == "loaded", (source, result.reason)
    _build(settings, "after-shred")
    final = _decrypt_all(settings, FieldEncryptor(open_keyring(settings, cached=False),
                                                  settings.cipher))
    new_cells = set(final) - set(before)
    assert new_cells and all(final[c] is not None for c in new_cells)
    assert {c for c, v in final.items() if v is None} == victim_cells


def _suspect_rows(settings: Settings, token: str) -> list[str]:
    rows: list[str] = []
    for path in sorted((settings.raw / "police" / "suspects").glob("*.parquet")):
        t = pq.read_table(path, columns=["_row_id", "id_token"])
        rows += [r for r, tk in zip(*(t.column(c).to_pylist() for c in ("_row_id", "id_token")),
                                    strict=True) if tk == token]
    return rows
