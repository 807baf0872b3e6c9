"""End to end on the synthetic generator's batches: defects quarantined where injected, no leaks."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest

from shared_exchange import SOURCES
from shared_exchange.identity import id_check_char
from shared_exchange.ingest import ingest_source, summary

synth = pytest.importorskip("shared_exchange.synth")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from shared_exchange.config import load_settings

    settings = load_settings(tmp_path_factory.mktemp("e2e") / "home")
    result = synth.generate(settings, persons=50, days=3, seed=5, tamper=True)
    loaded = {s: ingest_source(settings, s) for s in SOURCES}
    return settings, result, loaded


def test_every_batch_accounts_for_its_rows(generated):
    settings, result, loaded = generated
    for results in loaded.values():
        for r in results:
            assert r.delivered == r.loaded + r.quarantined
            expected = "rejected" if r.batch_id in result.tampered_batch_ids else "loaded"
            assert r.status == expected, r.reason
    assert sum(d["rejected"] for d in summary(settings).values()) == len(
        result.tampered_batch_ids)


def test_injected_broken_rows_are_quarantined_where_injected(generated):
    settings, result, _ = generated
    truth = json.loads(settings.ground_truth.read_text("utf-8"))
    quarantined = set()
    for path in settings.quarantine.rglob("*-*.parquet"):
        for row in pq.read_table(path).to_pylist():
            quarantined.add((row["batch_id"], row["file"], row["line"]))
    broken = {(b["batch_id"], b["file"], b["line"]) for b in truth["broken_rows"]
              if b["batch_id"] not in result.tampered_batch_ids}
    assert broken and broken <= quarantined


def test_no_clear_identifier_in_any_output(generated):
    settings, _, _ = generated
    secrets: set[bytes] = set()
    for path in settings.landing.rglob("*"):
        if path.is_file() and path.name != "manifest.json":
            text = path.read_bytes().decode("utf-8", errors="ignore")
            ids = re.findall(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])", text, re.ASCII)
            secrets.update(i.encode() for i in ids if id_check_char(i[:17]) == i[17].upper())
            phones = re.findall(r"(?<![\dA-Za-z])1[3-9]\d{9}(?!\d)", text, re.ASCII)
            secrets.update(p.encode() for p in phones)
    for path in settings.landing.rglob("suspects.jsonl"):
        for line in path.read_text("utf-8", errors="ignore").splitlines():
            try:
                name = json.loads(line).get("xm")
            except (ValueError, AttributeError):
                continue
            if name and len(name) >= 2:
                secrets.add(name.encode())
    assert len(secrets) > 50
    for folder in (settings.raw, settings.quarantine, settings.ledger):
        for path in folder.rglob("*"):
            if path.is_file():
                blob = path.read_bytes()
                leaked = [s for s in secrets if s in blob]
                assert not leaked, f"clear identifier in {path.relative_to(settings.home)}"
