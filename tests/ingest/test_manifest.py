"""Manifest tampering rejects the batch whole, with a reason that says what and where."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from builders import Synth, justice_files, write_batch

from shared_exchange.ingest import discover_batches, ingest_batch, loaded_batches

DAY = dt.date(2022, 3, 1)


@pytest.fixture
def batch(settings):
    return write_batch(settings.landing, "justice", DAY, "justice-1", justice_files(Synth(), 3))


def _edit_manifest(folder, change):
    path = folder / "manifest.json"
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")


def _rejected(settings, folder, *needles):
    result = ingest_batch(settings, folder)
    assert result.status == "rejected"
    assert result.loaded == 0 and result.quarantined == result.delivered
    for needle in needles:
        assert needle in result.reason
    assert not list(settings.raw.rglob("justice-1.parquet"))
    assert "justice-1" not in loaded_batches(settings, "justice")
    return result


def test_sha256_mismatch(settings, batch):
    (batch / "legal_aid.csv").write_bytes((batch / "legal_aid.csv").read_bytes()[:-5])
    result = _rejected(settings, batch, "legal_aid.csv", "sha256")
    assert result.ledger["quarantine_reasons"] == {"batch_rejected": 9}


def test_record_count_mismatch(settings, batch):
    _edit_manifest(batch, lambda d: d["files"][0].update(records=4))
    _rejected(settings, batch, "community_corrections.csv", "holds 3 records, manifest says 4")


def test_missing_file(settings, batch):
    (batch / "custody_events.csv").unlink()
    _rejected(settings, batch, "custody_events.csv", "missing")


@pytest.mark.parametrize("change,needle", [
    (lambda d: d.update(source="court"), "does not match the landing folder"),
    (lambda d: d.pop("extracted_at"), "lacks required key(s) ['extracted_at']"),
    (lambda d: d.update(batch_id="other"), "does not match its folder name"),
    (lambda d: d["files"][0].update(name="../x.csv"), "plain file"),
    (lambda d: d["files"][0].update(name="victims.csv"), "no justice contract"),
])
def test_bad_manifest_content(settings, batch, change, needle):
    _edit_manifest(batch, change)
    _rejected(settings, batch, "manifest.json", needle)


def test_rejected_batch_is_retried_only_after_redelivery(settings, batch):
    good = (batch / "legal_aid.csv").read_bytes()
    (batch / "legal_aid.csv").write_bytes(good + b"x")
    _rejected(settings, batch)
    assert discover_batches(settings, "justice") == []  # unchanged: not retried
    (batch / "legal_aid.csv").write_bytes(good)
    (ref,) = discover_batches(settings, "justice")
    assert ingest_batch(settings, ref).status == "loaded"
    assert loaded_batches(settings, "justice") == {"justice-1"}


def test_summary_counts_rejected_batches(settings, batch):
    from shared_exchange.ingest import summary

    (batch / "legal_aid.csv").unlink()
    _rejected(settings, batch)
    justice = summary(settings)["justice"]
    assert (justice["batches"], justice["rejected"], justice["loaded"]) == (1, 1, 0)
    assert justice["quarantine_reasons"] == {"batch_rejected": justice["delivered"]}
