"""Who is involved in which case: case skeletons, co-defendants, repeat offenders, juveniles."""

from __future__ import annotations

import datetime as dt
import random

from shared_exchange.synth.model import Case, PersonCase
from shared_exchange.synth.offences import SELF_INVESTIGATED, draw_offence
from shared_exchange.synth.people import PeopleFactory
from shared_exchange.synth.regions import ALL_COUNTIES, COUNTY_WEIGHTS, STREETS

HISTORY_DAYS = 456  # cases are filed from ~15 months before the first business date
MAJOR_CHARGES = ("盗窃罪", "诈骗罪", "开设赌场罪", "走私、贩卖、运输、制造毒品罪", "抢劫罪")


def build_cases(rng: random.Random, persons: int, start: dt.date,
                last: dt.date) -> list[Case]:
    """Case skeletons for ``persons`` people (dates and people are finalised later)."""
    span = (last - start).days + HISTORY_DAYS
    first = start - dt.timedelta(days=HISTORY_DAYS)
    cum = []
    for w in COUNTY_WEIGHTS:
        cum.append((cum[-1] if cum else 0) + w)
    cases: list[Case] = []
    slot, n_pc = 0, 0
    while slot < persons:
        county = rng.choices(ALL_COUNTIES, cum_weights=cum)[0]
        self_inv = rng.random() < 0.01
        offence = rng.choice(SELF_INVESTIGATED) if self_inv else draw_offence(rng)
        unit = f"{county.code}{rng.randint(1, 30):02d}0000"
        case = Case(f"C{len(cases) + 1:06d}", county, unit, offence.charge,
                    first + dt.timedelta(days=rng.randrange(span)),
                    major=offence.charge in MAJOR_CHARGES and rng.random() < 0.08,
                    self_investigated=self_inv, place=rng.choice(STREETS))
        size = 1 if rng.random() < 0.85 or self_inv else rng.choice((2, 2, 2, 3, 3, 4))
        for seq in range(1, min(size, persons - slot) + 1):
            juvenile = not self_inv and rng.random() < 0.03
            age = rng.randint(14, 17) if juvenile else _adult_age(rng)
            n_pc += 1
            case.persons.append(PersonCase(f"PC{n_pc:06d}", None, case, seq, juvenile, age,
                                           rng.randint(0, 10), slot=slot))
            slot += 1
        cases.append(case)
    _repeat_offenders(rng, cases, first, span)
    return cases


def _adult_age(rng: random.Random) -> int:
    return min(70, max(18, int(rng.triangular(18, 66, 30))))


def _repeat_offenders(rng: random.Random, cases: list[Case], first: dt.date,
                      span: int) -> None:
    """~3% of persons get a second, later case of their own (always as adults)."""
    n_pc = sum(len(c.persons) for c in cases)
    singles = [c for c in cases if len(c.persons) == 1 and not c.self_investigated
               and not c.persons[0].juvenile and c.persons[0].age >= 19]
    picks = rng.sample(singles, k=min(len(singles), max(1, int(0.03 * n_pc))))
    for earlier in picks:
        pc0 = earlier.persons[0]
        filed = earlier.filed + dt.timedelta(days=rng.randint(60, 400))
        if filed > first + dt.timedelta(days=span - 1):
            continue
        offence = draw_offence(rng)
        county = earlier.county
        case = Case(f"C{len(cases) + 1:06d}", county, f"{county.code}{rng.randint(1, 30):02d}0000",
                    offence.charge, filed, place=rng.choice(STREETS))
        n_pc += 1
        case.persons.append(PersonCase(f"PC{n_pc:06d}", None, case, 1, False, pc0.age,
                                       rng.randint(0, 10), slot=pc0.slot))
        cases.append(case)


def materialise(cases: list[Case], factory: PeopleFactory) -> None:
    """Create each person once, aged as planned on the offence date of their first case."""
    made = {}
    for case in sorted(cases, key=lambda c: c.filed):
        for pc in case.persons:
            person = made.get(pc.slot)
            if person is None:
                birth = factory.birth_for_age(pc.offence_date, pc.age, pc.age)
                local = factory.rng.random() < 0.5
                region = (case.county.code, "浙江省" + case.county.city_name + case.county.name)
                person = factory.person(birth, region if local else None)
                made[pc.slot] = person
            pc.person = person
            pc.juvenile = _age_on(person.birth, pc.offence_date) < 18


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
