"""Normal synthetic cases stay inside every legal limit; injected ones break exactly one rule.

The checker here is written independently of the generator, straight from domain.md §2–§3,
as of the last business date.
"""

from __future__ import annotations

import datetime as dt

import pytest

from shared_exchange.identity import normalise_id
from shared_exchange.synth.damage import MISMATCH
from shared_exchange.synth.limits import add_months
from shared_exchange.synth.world import build_world

START = dt.date(2022, 3, 1)
NORMAL_PREFIXES = ("extension/", "juvenile/")


def _first(pc, kind):
    return next((m for m in pc.measures if m.kind == kind), None)


def problems(pc, last: dt.date) -> list[str]:  # noqa: C901 - one rule per block, on purpose
    out = []
    c, pr, s = pc.case, pc.prosecution, pc.sentence
    jl, tqpb, db = _first(pc, "JL"), _first(pc, "TQPB"), _first(pc, "DB")
    yqs = [m.start.date() for m in pc.measures if m.kind == "YQ"]
    if jl is not None:
        start = jl.start.date()
        end = tqpb.start.date() if tqpb else (jl.end.date() if jl.end else last)
        extended = any(start <= y <= start + dt.timedelta(days=3) for y in yqs)
        limit = (30 if c.major else 7) if extended else 3
        if (end - start).days > limit:
            out.append("detention")
    if pc.arrest is not None:
        end = pc.arrest.concluded or last
        if (end - pc.arrest.received).days > 7:
            out.append("arrest_review")
        if pc.arrest.concluded and pc.arrest.conclusion != "批准逮捕" and jl.end is None:
            out.append("held_after_denial")
    if db is not None:
        n = sum(1 for y in yqs if y > db.start.date())
        months = 2 + (0, 1, 3, 5)[n]
        released = next((m.start.date() for m in pc.measures
                         if m.kind in ("SF", "QB", "JJ") and m.start > db.start), None)
        end = pc.transferred or released or last
        if end > add_months(db.start.date(), months):
            out.append("investigation_custody")
    for m in pc.measures:
        if m.kind in ("QB", "JJ"):
            end = m.end.date() if m.end else last
            if end > add_months(m.start.date(), 12 if m.kind == "QB" else 6):
                out.append("bail")
    if pr is not None:
        if len(pr.returns) > 2:
            out.append("returns")
        base = pr.received
        for returned, back in pr.returns:
            if (back or last) > add_months(returned, 1):
                out.append("supplementary")
            base = back or base
        end = pr.concluded or last
        if pr.speedy:
            limit = base + dt.timedelta(days=15 if (pr.recommended or 0) > 12 else 10)
        else:
            limit = add_months(base, 1) + dt.timedelta(days=15 if pr.extended else 0)
        if end > limit:
            out.append("prosecution_review")
        if pr.concluded and pr.concluded <= last and not pr.prosecuted and pc.in_custody_at_end:
            out.append("held_after_non_prosecution")
        if "procuratorate" in pc.omit:
            out.append("orphan")
    if s is not None and c.court is not None:
        court = c.court
        end = court.closed or last
        likely = max(p.prosecution.recommended or 0 for p in c.persons if p.sentence)
        if court.procedure == "速裁":
            limit = court.filed + dt.timedelta(days=15 if likely > 12 else 10)
        elif court.procedure == "简易" and likely <= 36:
            limit = court.filed + dt.timedelta(days=20)
        else:
            limit = add_months(court.filed, 3 + court.extended_months)
        if end > limit:
            out.append("trial")
        if c.appeal is not None and (c.appeal.closed or last) > add_months(c.appeal.filed, 2):
            out.append("second_instance")
        if pc.court_charge != c.charge:
            out.append("charge")
    eff = pc.effective_case.effective if pc.effective_case else None
    if eff is not None and eff <= last and s is not None:
        events = {e[0]: e[1] for e in reversed(pc.custody_events)}
        if s.custodial and (last - eff).days > 30:
            intakes = [d for e, d in events.items() if e in ("入监", "看守所执行")]
            if not intakes or min(intakes) > eff + dt.timedelta(days=30):
                out.append("not_executed")
        if (s.suspended or s.penalty == "管制") and (last - eff).days > 10:
            corr = pc.correction
            if corr is None or corr.reported > eff + dt.timedelta(days=10):
                out.append("not_reported")
        if s.fine and (last - eff).days > 60:
            e = pc.enforcement
            late = e is None or e.filed > eff + dt.timedelta(days=60)
            if late or (e.closed and e.closed <= last and e.closure == "终结本次执行"):
                out.append("fine")
    if pc.correction is not None:
        for status, day in pc.correction.history:
            if status in ("撤销缓刑", "收监执行") and (last - day).days > 30:
                back = [d for e, d, _, _ in pc.custody_events if e == "收监" and d >= day]
                if not back or min(back) > day + dt.timedelta(days=30):
                    out.append("not_committed")
    if pc.name_as_delivered or any(normalise_id(v).normalised != pc.person.id18
                                   for v in pc.id_as_delivered.values()):
        out.append("identity")
    return out


@pytest.fixture(scope="module")
def world():
    return build_world(2500, 25, 5, 0.02, START)


def test_normal_cases_break_no_rule(world):
    bad = {}
    for pc in world.person_cases:
        mismatch = any(k in MISMATCH for _, k in pc.damage)
        if (not pc.fault or pc.fault.startswith(NORMAL_PREFIXES)) and not mismatch:
            found = problems(pc, world.last)
            if found:
                bad[pc.key] = (pc.fault, found)
    assert not bad, list(bad.items())[:10]


def test_every_injected_case_breaks_a_rule(world):
    missed = []
    for pc in world.person_cases:
        if pc.fault and not pc.fault.startswith(NORMAL_PREFIXES) and not problems(pc, world.last):
            missed.append((pc.key, pc.fault))
    mismatched = [pc for pcs in world.damaged.values() for pc in pcs
                  if pc.damage[0][1] in ("name_typo", "other_id", "bad_checksum_id")]
    assert all(problems(pc, world.last) == ["identity"] for pc in mismatched)
    assert not missed, missed[:10]


def test_realistic_mix(world):
    pcs = world.person_cases
    reviewed = [pc.arrest for pc in pcs if pc.arrest and pc.arrest.concluded]
    not_arrested = sum(a.conclusion != "批准逮捕" for a in reviewed) / len(reviewed)
    concluded = [pc.prosecution for pc in pcs if pc.prosecution and pc.prosecution.concluded]
    not_prosecuted = sum(not p.prosecuted for p in concluded) / len(concluded)
    plea = sum(p.plea for p in concluded) / len(concluded)
    recs = [pc.sentence.adopted for pc in pcs if pc.sentence and pc.sentence.adopted is not None]
    months = [pc.sentence.months for pc in pcs if pc.sentence and pc.sentence.months]
    assert 0.18 <= not_arrested <= 0.32
    assert 0.17 <= not_prosecuted <= 0.27
    assert plea > 0.85
    assert sum(recs) / len(recs) > 0.88
    assert sum(m <= 36 for m in months) / len(months) > 0.8
    surnames = [pc.person.name[0] for pc in pcs]
    assert max(set(surnames), key=surnames.count) == "陈"
