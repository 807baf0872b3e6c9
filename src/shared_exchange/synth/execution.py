"""Execution of an effective judgment: intake, community correction, fines, legal aid."""

from __future__ import annotations

import datetime as dt
import random

from shared_exchange.synth.limits import add_months, deadline
from shared_exchange.synth.model import Correction, Enforcement, PersonCase

INTAKE_EVENTS = ("入监", "看守所执行")


def _days(rng: random.Random, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(lo, hi))


def prison_code(pc: PersonCase, rng: random.Random) -> str:
    return f"{pc.case.county.city}00JY{rng.randint(1, 3):02d}"


def detention_centre_code(pc: PersonCase) -> str:
    return f"{pc.case.county.code}KSS01"


def execute(pc: PersonCase, effective: dt.date, rng: random.Random, force: dict) -> None:
    """Everything that follows an effective conviction, at realistic (in-limit) delays."""
    s = pc.sentence
    if s is None or s.verdict != "有罪":
        return
    if s.custodial:
        _custodial(pc, effective, rng, force)
    elif s.suspended or s.penalty == "管制":
        _community(pc, effective, rng, force)
    if s.fine:
        filed = effective + _days(rng, 10, 40)
        pc.enforcement = Enforcement(filed, s.fine, filed + _days(rng, 10, 80), s.fine, "执行完毕")


def _custodial(pc: PersonCase, effective: dt.date, rng: random.Random, force: dict) -> None:
    s, events = pc.sentence, pc.custody_events
    served = 0
    if pc.in_custody_at_end:
        first = next(m for m in pc.measures if m.kind in ("JL", "DB"))
        served = (effective - first.start.date()).days
    remaining = max(10, int(s.months * 30.4) - served)
    if remaining <= 92:  # ≤ 3 months left: the detention centre executes it
        intake = effective + _days(rng, 1, 5)
        events.append(("看守所执行", intake, detention_centre_code(pc), None))
        events.append(("刑满释放", intake + dt.timedelta(days=remaining), "", None))
        return
    intake = effective + _days(rng, 2, 20)
    prison = prison_code(pc, rng)
    events.append(("入监", intake, prison, None))
    release = intake + dt.timedelta(days=remaining)
    roll = rng.random()
    if force.get("revoke") == "medical" or (not force and roll < 0.01):
        out = intake + _days(rng, 30, 90)
        events.append(("暂予监外执行", out, prison, None))
        reported = out + _days(rng, 1, 5)
        pc.correction = Correction("暂予监外执行", out, reported, out, release,
                                   [("在矫", reported)])
        if force.get("revoke") == "medical" or rng.random() < 0.3:
            back = out + _days(rng, 60, 120)
            pc.correction.history.append(("收监执行", back))
            events.append(("收监", back + _days(rng, 3, 15), prison, None))
        return
    if remaining >= 540 and roll < 0.25:
        cut = rng.randint(2, 6)
        events.append(("减刑", intake + _days(rng, 240, 360), prison, cut))
        release -= dt.timedelta(days=int(cut * 30.4))
    elif 300 <= remaining <= 1200 and 0.25 <= roll < 0.33:
        parole = intake + dt.timedelta(days=int(remaining * rng.uniform(0.55, 0.7)))
        events.append(("假释", parole, prison, None))
        reported = parole + _days(rng, 1, 7)
        pc.correction = Correction("假释", parole, reported, parole, release,
                                   [("在矫", reported), ("解矫", release)])
        return
    events.append(("刑满释放", release, prison, None))


def _community(pc: PersonCase, effective: dt.date, rng: random.Random, force: dict) -> None:
    s = pc.sentence
    kind = "缓刑" if s.suspended else "管制"
    term = s.probation if s.suspended else s.months
    if force.get("late") == "correction_report":
        reported = deadline(effective, days=10, in_custody=False) + _days(rng, 3, 8)
    else:
        reported = effective + _days(rng, 1, 7)
    end = add_months(effective, term)
    c = Correction(kind, effective, reported, effective, end, [("在矫", reported)])
    pc.correction = c
    revoke = force.get("revoke") == "probation" or (
        not force and kind == "缓刑" and rng.random() < 0.01)
    revoked = reported + _days(rng, 30, 150)
    if revoke and revoked < end:
        c.history.append(("撤销缓刑", revoked))
        pc.custody_events.append(("收监", revoked + _days(rng, 3, 15), prison_code(pc, rng), None))
    else:
        c.history.append(("解矫", end))


def assign_legal_aid(pc: PersonCase, rng: random.Random) -> None:
    """Juveniles always get a 法律援助 lawyer (CPL art. 278); others sometimes."""
    if not (pc.juvenile or rng.random() < 0.12):
        return
    c = pc.case
    stages = []
    if not c.self_investigated:
        stages.append(("侦查", c.filed + _days(rng, 1, 5)))
    if pc.prosecution is not None:
        stages.append(("审查起诉", pc.prosecution.received + _days(rng, 1, 3)))
    if c.court is not None and pc.sentence is not None:
        stages.append(("审判", c.court.filed + _days(rng, 1, 3)))
    if stages:
        pc.legal_aid.append(stages[0] if pc.juvenile else rng.choice(stages))
