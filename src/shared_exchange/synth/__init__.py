"""Synthetic department data: four departments' daily batches plus exact ground truth.

``generate`` writes ``<home>/landing/<source>/<business_date>/<batch_id>/`` (manifest and
data files, in each department's own format) and ``<home>/synth/ground_truth.json``. The
same seed and parameters always give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import shutil
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from shared_exchange import SOURCES
from shared_exchange.config import Settings, load_settings
from shared_exchange.synth import records, truth
from shared_exchange.synth.batches import Batch, Delivery, DeliveryPlan
from shared_exchange.synth.defects import inject_defects
from shared_exchange.synth.world import build_world, rng_for

__all__ = ["SynthSummary", "generate"]
log = logging.getLogger(__name__)


@dataclass
class SynthSummary:
    home: Path
    persons: int
    person_cases: int
    batches: dict[str, int]  # source -> batch count
    records: dict[str, dict[str, int]]  # source -> file -> delivered records
    late_batch_ids: list[str]
    tampered_batch_ids: list[str]
    injected: dict[str, int]  # injected kind -> count
    ground_truth: Path
    delivery_order: list[str] = field(default_factory=list)  # batch ids, load in this order


def _plan(days: int, rng: random.Random, tamper: bool) -> DeliveryPlan:
    daily = list(range(1, days))
    late = set()
    if days >= 4:
        for b in rng.sample(range(1, days - 1), k=min(days - 2, max(2, days // 10))):
            late.add((rng.choice(SOURCES), b))
    k = max(1, days // 3)
    extra = ("procuratorate", "arrest_reviews", "案件类别", frozenset(range(k, k + 3)))
    tampered = (rng.choice(SOURCES), rng.choice(daily)) if tamper and daily else None
    return DeliveryPlan(max(1, days // 2) if days >= 2 else days, extra, frozenset(late),
                        tampered)


def _legacy_dates(rng: random.Random, counter: Counter):
    def fmt(day: dt.date | None) -> str:
        if day is None:
            return ""
        roll = rng.random()
        if roll < 0.02:
            counter["legacy_date_slash"] += 1
            return f"{day.year}/{day.month}/{day.day}"
        if roll < 0.03:
            counter["legacy_date_chinese"] += 1
            return f"{day.year}年{day.month}月{day.day}日"
        return day.isoformat()
    return fmt


def generate(settings_or_home: Settings | str | Path, *, persons: int, days: int, seed: int,
             fault_rate: float = 0.02, start: dt.date = dt.date(2022, 3, 1),
             tamper: bool = False, replace_existing: bool = False) -> SynthSummary:
    """Generate ``days`` daily batches per department for ``persons`` people.

    Refuses to write into a landing zone that already has files unless
    ``replace_existing`` (then ``landing/`` and ``synth/`` are deleted first).
    """
    if persons < 1 or days < 1 or not 0 <= fault_rate <= 1:
        raise ValueError("persons and days must be ≥ 1 and fault_rate in [0, 1]")
    settings = (settings_or_home if isinstance(settings_or_home, Settings)
                else load_settings(settings_or_home))
    landing = settings.landing
    if landing.exists() and any(landing.iterdir()):
        if not replace_existing:
            raise FileExistsError(f"{landing} already holds batches; use a fresh "
                                  "SHARED_EXCHANGE_HOME or pass replace_existing=True")
        shutil.rmtree(landing)
        shutil.rmtree(settings.ground_truth.parent, ignore_errors=True)
    world = build_world(persons, days, seed, fault_rate, start)
    cases, last, per_kind = world.cases, world.last, world.per_kind
    n_pc = len(world.person_cases)
    injected, damaged = world.injected, world.damaged
    _rng = rng_for

    plan = _plan(days, _rng(seed, "delivery"), tamper)
    delivery = Delivery(start, days, plan)
    clock = records.Clock(_rng(seed, "clock"))
    counts: Counter = Counter()
    fmt = _legacy_dates(_rng(seed, "dates"), counts)
    for case in cases:
        if not case.self_investigated:
            records.police(case, delivery.emit, clock)
        records.procuratorate(case, delivery.emit, clock, fmt)
        records.court(case, delivery.emit, clock)
        records.justice(case, delivery.emit, clock)
    defects = inject_defects(delivery, _rng(seed, "defects"), per_kind)

    batches = delivery.batches()
    for batch in batches:
        delivery.write(landing, batch, tamper=plan.tamper == (batch.source, batch.bucket))
    batches += _redeliveries(delivery, landing, batches, defects)
    batches.sort(key=lambda b: (b.extracted_at, SOURCES.index(b.source), b.batch_id))
    for i, batch in enumerate(batches, start=1):
        batch.order = i

    for kind, pcs in injected.items():
        counts[kind] = len(pcs)
    for kind, pcs in damaged.items():
        counts[kind] = len(pcs)
    for name, items in defects.items():
        if name == "broken_rows":
            counts.update(f"broken_row:{b['kind']}" for b in items)
        else:
            counts[name] = len(items)
    counts["late_batches"] = sum(b.late for b in batches)
    counts["tampered_batches"] = sum(b.tampered for b in batches)
    findings, breaches, lawful = truth.expectations(cases)
    ground = {
        "generator": {"seed": seed, "persons": persons, "days": days, "start": start.isoformat(),
                      "last_business_date": last.isoformat(), "fault_rate": fault_rate,
                      "tamper": tamper},
        "person_cases": truth.person_cases(cases, last),
        "findings": findings, "breaches": breaches, "lawful_extensions": lawful,
        "broken_rows": defects["broken_rows"], "duplicates": defects["duplicates"],
        "out_of_order": defects["out_of_order"],
        "batches": [{"batch_id": b.batch_id, "source": b.source,
                     "business_date": b.business_date.isoformat(), "delivered_order": b.order,
                     "extracted_at": b.extracted_at.isoformat() + "+08:00", "late": b.late,
                     "tampered": b.tampered, "contract_version": b.contract_version}
                    for b in batches],
        "contract_changes": _contract_changes(plan, start, days),
        "injected_counts": dict(sorted(counts.items())),
    }
    truth.write(settings.ground_truth, ground)
    return _summary(settings, persons, n_pc, batches, counts)


def _redeliveries(delivery: Delivery, landing: Path, batches: list[Batch],
                  defects: dict[str, list[dict]]) -> list[Batch]:
    """A tampered batch is rejected; the department re-sends it untouched as ``-02``."""
    out = []
    for b in [b for b in batches if b.tampered]:
        again = replace(b, batch_id=b.batch_id[:-2] + "02", tampered=False, files=[],
                        extracted_at=b.extracted_at + dt.timedelta(hours=6))
        delivery.write(landing, again)
        out.append(again)
        for items in defects.values():
            items += [{**x, "batch_id": again.batch_id} for x in items
                      if x["batch_id"] == b.batch_id]
    return out


def _contract_changes(plan: DeliveryPlan, start: dt.date, days: int) -> list[dict]:
    out = []
    if plan.rename_from < days:
        out.append({"source": "police", "file": "suspects.jsonl", "contract_version": "2",
                    "renamed": {"lxdh": "sjhm"},
                    "from_business_date": (start + dt.timedelta(days=plan.rename_from))
                    .isoformat()})
    source, table, column, buckets = plan.extra
    dates = sorted((start + dt.timedelta(days=b)).isoformat() for b in buckets if b < days)
    if dates:
        out.append({"source": source, "file": f"{table}.csv", "added_column": column,
                    "business_dates": dates})
    return out


def _summary(settings: Settings, persons: int, n_pc: int, batches: list[Batch],
             counts: Counter) -> SynthSummary:
    per_source: Counter = Counter(b.source for b in batches)
    recs: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
    for b in batches:
        if b.tampered:
            continue
        for f in b.files:
            recs[b.source][f["name"]] = recs[b.source].get(f["name"], 0) + f["records"]
    return SynthSummary(
        home=settings.home, persons=persons, person_cases=n_pc, batches=dict(per_source),
        records=recs, late_batch_ids=[b.batch_id for b in batches if b.late],
        tampered_batch_ids=[b.batch_id for b in batches if b.tampered],
        injected=dict(sorted(counts.items())), ground_truth=settings.ground_truth,
        delivery_order=[b.batch_id for b in batches])
