"""The simulated world before delivery: cases, persons, injected problems and damage."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from shared_exchange.synth.damage import apply_damage
from shared_exchange.synth.execution import assign_legal_aid
from shared_exchange.synth.faults import inject
from shared_exchange.synth.model import Case, PersonCase
from shared_exchange.synth.numbering import number_cases
from shared_exchange.synth.people import PeopleFactory
from shared_exchange.synth.population import HISTORY_DAYS, build_cases, materialise
from shared_exchange.synth.procedure import Simulator

PROBLEM_KINDS = 23  # case-level problem kinds that share fault_rate (faults.KINDS minus normal)


@dataclass
class World:
    cases: list[Case]
    start: dt.date
    last: dt.date
    per_kind: int
    injected: dict[str, list[PersonCase]]
    damaged: dict[str, list[PersonCase]]

    @property
    def person_cases(self) -> list[PersonCase]:
        return [pc for c in self.cases for pc in c.persons]


def rng_for(seed: int, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{purpose}")  # str seeds are hashed deterministically


def build_world(persons: int, days: int, seed: int, fault_rate: float,
                start: dt.date) -> World:
    """Simulate every case, inject the problems, name persons, number cases, damage copies."""
    last = start + dt.timedelta(days=days - 1)
    cases = build_cases(rng_for(seed, "population"), persons, start, last)
    n_pc = sum(len(c.persons) for c in cases)
    per_kind = max(3, round(fault_rate * n_pc / PROBLEM_KINDS))
    sim = Simulator(rng_for(seed, "procedure"))
    earliest = start - dt.timedelta(days=HISTORY_DAYS)
    injected, simulated = inject(cases, sim, rng_for(seed, "faults"), last, per_kind, earliest)
    for case in cases:
        if case.key not in simulated:
            sim.run(case, {})
    materialise(cases, PeopleFactory(rng_for(seed, "people")))
    aid_rng = rng_for(seed, "legal_aid")
    for case in cases:
        for pc in case.persons:
            assign_legal_aid(pc, aid_rng)
    number_cases(cases)
    damaged = apply_damage(cases, rng_for(seed, "damage"), last, per_kind)
    return World(cases, start, last, per_kind, injected, damaged)
