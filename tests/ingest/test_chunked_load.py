"""A batch is loaded a chunk at a time (bounded memory) with the same rows as in one go, and a
file that fails its manifest after earlier chunks were written leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from builders import Synth, justice_files, write_batch

from shared_exchange.ingest import ingest_batch, load

DAY = dt.date(2022, 3, 1)


def _rows(settings, batch_id: str) -> dict[str, list[dict]]:
    """Every raw table of the batch without ciphertext (random nonces differ per write)."""
    out = {}
    for path in sorted(settings.raw.rglob(f"{batch_id}.parquet")):
        table = pq.read_table(path)
        keep = [c for c in table.column_names if not c.endswith("_enc")]
        out[path.parent.name] = table.select(keep).to_pylist()
    return out


def test_small_chunks_load_the_same_rows(settings, monkeypatch):
    batch = write_batch(settings.landing, "justice", DAY, "justice-1", justice_files(Synth(), 23))
    whole = ingest_batch(settings, batch)
    expected = _rows(settings, "justice-1")
    monkeypatch.setattr(load, "CHUNK_ROWS", 4)
    chunked = ingest_batch(settings, batch, force=True)
    assert (chunked.delivered, chunked.loaded, chunked.quarantined) == (
        whole.delivered, whole.loaded, whole.quarantined)
    assert _rows(settings, "justice-1") == expected
    groups = {p.parent.name: pq.ParquetFile(p).num_row_groups
              for p in settings.raw.rglob("justice-1.parquet")}
    assert max(groups.values()) > 1, groups  # really written chunk by chunk


def test_a_count_mismatch_after_written_chunks_leaves_nothing(settings, monkeypatch):
    batch = write_batch(settings.landing, "justice", DAY, "justice-1", justice_files(Synth(), 9))
    manifest = json.loads((batch / "manifest.json").read_text("utf-8"))
    manifest["files"][-1]["records"] += 1  # the last file: the others are already staged
    (batch / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    monkeypatch.setattr(load, "CHUNK_ROWS", 2)
    result = ingest_batch(settings, batch)
    assert result.status == "rejected"
    assert "manifest says" in result.reason
    assert not list(settings.raw.rglob("justice-1.parquet"))
    assert not list(settings.raw.rglob("*.tmp"))


@pytest.mark.parametrize("size", [1, 3, 50_000])
def test_counts_reconcile_at_any_chunk_size(settings, monkeypatch, size):
    batch = write_batch(settings.landing, "justice", DAY, "justice-1", justice_files(Synth(), 11))
    monkeypatch.setattr(load, "CHUNK_ROWS", size)
    result = ingest_batch(settings, batch)
    assert result.status == "loaded"
    assert result.delivered == result.loaded + result.quarantined == sum(
        f["delivered"] for f in result.ledger["files"])
