"""Bench data prepared once per size and reused: landing zone, ingested home, built home.

Generating and ingesting the synthetic departments costs more than most measurements
(≈ 34 s + 52 s per 100k persons), so every area starts from a cached home instead of
making its own:

* ``prepare(persons, days, seed)``: the landing zone (``landing/``, ``synth/``) as
  ``shared_exchange.synth.generate`` writes it. No keys yet: ingestion creates them.
* ``ingested(...)``: that landing zone ingested through the second-to-last business day
  (``raw/``, ``quarantine/``, ``ledger/``, ``keys/`` …), so the last day is left to load.
* ``built(...)``: the ingested home plus a full dbt build of it, published (for the gateway);
  ``deposit_built`` lets bench_build hand in the identical full build it just measured.
* ``working_home(source, label)``: a fresh writable home cloned from one of those.

Cache: ``$SHARED_EXCHANGE_BENCH_CACHE`` (default ``~/.cache/shared-exchange-bench``), one
directory per stage, persons, days, seed and a fingerprint of the code and packages that
made it; a changed generator, contract, ingestion, security or dbt file gives a new key and
the older entries of that size are deleted. A ``flock`` per (stage, size) lets only one
process prepare it; the others wait and then reuse it. Entries are built under a temporary
name and renamed when complete, so a killed run leaves nothing that looks finished.

    PYTHONPATH=src .venv/bin/python bench/prepared.py --persons 100000 --days 120
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import prep_cache as cache
from prep_cache import (  # noqa: F401 - the areas' API is this module
    CACHE_ENV,
    MARKER,
    cache_root,
    facts,
    fingerprint,
    pin,
    remove_home,
    report,
    working_home,
)

from shared_exchange import SOURCES
from shared_exchange.config import load_settings

log = logging.getLogger("bench.prepared")


def prepare(persons: int, days: int, seed: int = 1) -> Path:
    """A home holding the generated landing zone (``landing/``, ``synth/``); do not write in it."""
    from shared_exchange.synth import generate

    if days < 2:
        raise ValueError(f"days={days}: the bench needs at least 2 business days "
                         "(everything but the last day is the prepared snapshot)")

    def make(home: Path) -> dict[str, Any]:
        started = time.perf_counter()
        summary = generate(load_settings(home), persons=persons, days=days, seed=seed)
        dates = business_dates(home)
        return {"generate_s": round(time.perf_counter() - started, 2),
                "person_cases": summary.person_cases, "batches": summary.batches,
                "first_business_date": dates[0].isoformat(),
                "second_to_last_business_date": dates[-2].isoformat(),
                "last_business_date": dates[-1].isoformat(), "business_dates": len(dates)}

    return cache.cached_entry("landing", persons, days, seed, make)


def business_dates(home: Path) -> list[dt.date]:
    """Sorted distinct business dates of the batches in a home's landing zone."""
    landing = load_settings(home).landing
    dates = sorted({dt.date.fromisoformat(p.name) for s in SOURCES if (landing / s).is_dir()
                    for p in (landing / s).iterdir() if p.is_dir()})
    if len(dates) < 2:
        raise ValueError(f"{landing}: {len(dates)} business day(s) of batches; the bench "
                         "needs at least 2 (regenerate with days ≥ 2)")
    return dates


def _ingest_one(home: str, source: str, up_to: str) -> dict[str, Any]:
    from shared_exchange.ingest.load import ingest_source

    results = ingest_source(load_settings(home), source, up_to=dt.date.fromisoformat(up_to))
    return {"source": source, "batches": len(results),
            "rows": sum(r.delivered for r in results),
            "rejected": sum(r.status == "rejected" for r in results)}


def ingested(persons: int, days: int, seed: int = 1) -> Path:
    """A home with the landing zone ingested through the second-to-last business day."""

    def make(home: Path) -> dict[str, Any]:
        landing = prepare(persons, days, seed)
        cache.clone(landing, home)
        generated = cache.facts(landing)
        dates = business_dates(home)
        started = time.perf_counter()
        # not a measurement: use both cores (the keyring is made for parallel ingestion)
        with mp.get_context("spawn").Pool(min(len(SOURCES), os.cpu_count() or 1)) as pool:
            done = pool.starmap(_ingest_one, [(str(home), s, dates[-2].isoformat())
                                              for s in SOURCES])
        return {"ingest_s": round(time.perf_counter() - started, 2),
                "person_cases": generated["person_cases"],
                "ingested_through": dates[-2].isoformat(),
                "last_business_date": dates[-1].isoformat(),
                "ingested_rows": sum(d["rows"] for d in done), "per_source": done}

    return cache.cached_entry("ingested", persons, days, seed, make)


def make_spare(settings: Any) -> float:
    """The build DAG's last task, ``prepare_next_build``: copy the published build for the
    next build to start from. Seconds it took."""
    from shared_exchange.quality import publish as pub

    started = time.perf_counter()
    pub.prepare_next(settings)
    return time.perf_counter() - started


def build_and_publish(settings: Any, run_id: str, dbt_args: Sequence[str],
                      spare: bool = True) -> tuple[dict[str, float], Path]:
    """What the build DAG does each morning, without gates: start_build (renames the spare,
    or copies the published file) → ``dbt <dbt_args>`` → publish, then (``spare``) the copy
    for the next build (``prepare_next_build``). Seconds per step; ``total_s`` is the way
    from data to published marts, without the spare, which is made after publishing."""
    from shared_exchange.quality import publish as pub
    from shared_exchange.warehouse.dbt import build_command, run_dbt

    started = time.perf_counter()
    build = pub.start_build(settings, run_id)
    copied = time.perf_counter()
    run_dbt(build_command(dbt_args, full_refresh=build.full_refresh,
                          from_base=build.base_version is not None), settings, build.path)
    built_at = time.perf_counter()
    pub.publish(settings, build, require_gates=False)
    ended = time.perf_counter()
    return {"copy_s": copied - started, "dbt_s": built_at - copied,
            "publish_s": ended - built_at, "total_s": ended - started,
            "spare_s": make_spare(settings) if spare else 0.0}, build.path


def built(persons: int, days: int, seed: int = 1,
          dbt_args: Sequence[str] = ("build",)) -> Path:
    """The ingested home plus ``dbt <dbt_args>`` from empty, published (no gates)."""

    def make(home: Path) -> dict[str, Any]:
        cache.clone(ingested(persons, days, seed), home)
        # no spare: a cached entry is cloned whole, and the clone is the copy
        steps, _ = build_and_publish(load_settings(home), "bench_prepared", dbt_args,
                                     spare=False)
        return {"build_s": round(steps["total_s"], 2), "made_by": "prepared.built",
                "dbt_args": list(dbt_args)}

    return cache.cached_entry("built", persons, days, seed, make, extra=dbt_args)


def deposit_built(home: Path, persons: int, days: int, seed: int,
                  dbt_args: Sequence[str], build_s: float) -> bool:
    """Offer a home that is exactly ``built(...)``'s state (the ingested snapshot, then
    ``dbt <dbt_args>`` from empty, published); False when such an entry already exists."""
    before = len(cache.EVENTS)

    def make(tmp: Path) -> dict[str, Any]:
        # the depositor only ever copies its published build (start_build), never writes it;
        # the rest of warehouse/ (dbt's target/ and logs) is rewritten in place: copied
        cache.clone(home, tmp, read_only=("warehouse/builds",))
        return {"build_s": build_s, "made_by": "deposited by bench_build",
                "dbt_args": list(dbt_args)}

    try:
        cache.cached_entry("built", persons, days, seed, make, extra=dbt_args)
    except OSError as exc:  # a full disk must not cost the measurement that was just made
        log.warning("could not deposit the full build into the bench cache: %s", exc)
        return False
    event = cache.EVENTS.pop(before)  # a deposit is not this area's preparation
    return not event.hit


def for_areas(areas: Sequence[str], persons: int, days: int, seed: int = 1) -> dict[str, Any]:
    """Prepare what the chosen areas start from (run_all does this in its own process, so
    no area's peak RSS or seconds include generation or ingestion)."""
    cache.EVENTS.clear()
    if {"build", "gates", "gateway"} & set(areas):
        ingested(persons, days, seed)  # makes the landing entry too
    elif "ingest" in areas:
        prepare(persons, days, seed)
    if "gateway" in areas and "build" not in areas:  # else bench_build deposits its build
        from bench_build import DBT_BUILD

        built(persons, days, seed, DBT_BUILD)
    return cache.report()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, action="append", required=True)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--areas", default="ingest,build,gates,gateway")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    areas = [a.strip() for a in args.areas.split(",") if a.strip()]
    for n in sorted(set(args.persons)):
        sys.stdout.write(json.dumps(for_areas(areas, n, args.days, args.seed), indent=2,
                                    default=str) + "\n")


if __name__ == "__main__":
    main()
