"""The bench's prepared data (prepared.py, prep_cache.py): made once, reused, invalidated,
cloned safely, locked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import prep_cache
import prepared
import pytest

from shared_exchange.config import PROJECT_ROOT, load_settings

PERSONS, DAYS = 30, 2


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv(prepared.CACHE_ENV, str(root))
    monkeypatch.setattr(prep_cache, "EVENTS", [])
    return root


def _files(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_landing_is_generated_once_then_reused(cache, monkeypatch):
    first = prepared.prepare(PERSONS, DAYS, seed=3)
    made = {p: p.stat().st_mtime_ns for p in _files(first)}
    assert made and all(p.is_relative_to(cache) for p in made)
    assert [s["hit"] for s in prepared.report()["stages"]] == [False]

    def no_generation(*args, **kwargs):
        raise AssertionError("a cached size must not be generated again")

    monkeypatch.setattr("shared_exchange.synth.generate", no_generation)
    again = prepared.prepare(PERSONS, DAYS, seed=3)
    assert again == first and {p: p.stat().st_mtime_ns for p in _files(again)} == made
    report = prepared.report()
    assert [s["hit"] for s in report["stages"]] == [False, True] and not report["hit"]


def test_a_changed_generator_gives_a_new_entry_and_drops_the_stale_one(cache, monkeypatch):
    old = prepared.prepare(PERSONS, DAYS, seed=3)
    monkeypatch.setattr(prep_cache, "FORMAT", prep_cache.FORMAT + 1)  # as if a source changed
    new = prepared.prepare(PERSONS, DAYS, seed=3)
    assert new != old and new.exists() and not old.exists()
    assert prepared.prepare(PERSONS, DAYS, seed=4) != new  # the seed is part of the key


def test_working_home_links_read_only_data_and_copies_what_is_written(cache):
    snapshot = prepared.ingested(PERSONS, DAYS, seed=3)
    facts = prepared.facts(snapshot)
    assert facts["ingested_rows"] > 0 and facts["ingested_through"] < facts["last_business_date"]
    home = prepared.working_home(snapshot, "test")
    try:
        for folder in ("landing", "raw", "ledger"):
            for src in _files(snapshot / folder):
                dst = home / src.relative_to(snapshot)
                assert dst.stat().st_ino == src.stat().st_ino  # hardlink: no copy
        keys = _files(snapshot / "keys")
        assert keys
        for src in keys:  # person_keys.sqlite is updated in place: must be a copy
            assert (home / src.relative_to(snapshot)).stat().st_ino != src.stat().st_ino
        # loading the last day into the working home leaves the snapshot as it was
        before = {p: p.stat().st_mtime_ns for p in _files(snapshot)}
        from shared_exchange.ingest.load import ingest_source

        loaded = [r for s in ("police", "court") for r in ingest_source(load_settings(home), s)]
        assert loaded and all(r.status == "loaded" for r in loaded)
        assert {p: p.stat().st_mtime_ns for p in _files(snapshot)} == before
    finally:
        prepared.remove_home(home)
    assert not home.exists()


def test_two_processes_preparing_one_size_generate_it_once(cache):
    # big enough that the two would overlap without the lock (checked: they do)
    code = (f"import json, prepared; prepared.prepare(1500, {DAYS}, seed=5); "
            "print(json.dumps(prepared.report()['stages'][0]['hit']))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(PROJECT_ROOT / "src"), str(PROJECT_ROOT / "bench")])}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    hits = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        hits.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(hits) == [False, True]  # one made it, the other waited and reused it
    assert len([p for p in cache.iterdir() if p.name.startswith("landing-")]) == 1


def test_clone_links_only_what_is_never_written_in_place(tmp_path):
    source = tmp_path / "entry"
    for rel in ("raw/police/cases/b1.parquet", "keys/person_keys.sqlite",
                "warehouse/builds/v1.duckdb", "warehouse/dbt/target/manifest.json"):
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes(os.urandom(16))
    (source / "warehouse" / "published.duckdb").symlink_to("builds/v1.duckdb")
    (source / prepared.MARKER).write_text("{}")
    home = tmp_path / "home"
    prep_cache.clone(source, home, read_only=("warehouse/builds",))

    def same(rel):
        return (home / rel).stat().st_ino == (source / rel).stat().st_ino

    assert same("raw/police/cases/b1.parquet") and same("warehouse/builds/v1.duckdb")
    assert not same("keys/person_keys.sqlite")
    assert not same("warehouse/dbt/target/manifest.json")  # dbt rewrites it in place
    assert os.readlink(home / "warehouse" / "published.duckdb") == "builds/v1.duckdb"
    assert not (home / prepared.MARKER).exists()
