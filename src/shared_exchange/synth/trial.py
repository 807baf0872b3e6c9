"""The court part of a case: first instance, appeal and sentence (domain.md §1–§2, §7)."""

from __future__ import annotations

import datetime as dt
import random

from shared_exchange.synth.execution import execute
from shared_exchange.synth.limits import add_months, deadline
from shared_exchange.synth.model import Case, CourtCase, PersonCase, Sentence
from shared_exchange.synth.offences import BY_CHARGE, SELF_INVESTIGATED, draw_months

SELF_CHARGES = {o.charge: o for o in SELF_INVESTIGATED}


def at(day: dt.date, rng: random.Random) -> dt.datetime:
    minute = int(rng.random() * 840)  # 08:00-21:59
    return dt.datetime(day.year, day.month, day.day, 8 + minute // 60, minute % 60)


class TrialMixin:
    """Trial steps of the Simulator (needs ``self.rng``, ``self.days`` and ``self._release``)."""

    rng: random.Random

    # -- court: first instance, appeal, sentence --------------------------------------------
    def _trial(self, case: Case, persons: list[PersonCase], concluded: dt.date,
               force: dict) -> None:
        r, f = self.rng, force
        filed = concluded + self.days(1, 5)
        reviews = [pc.prosecution for pc in persons]
        lenient = all(pr.plea and (pr.recommended or 99) <= 36 for pr in reviews)
        if f.get("procedure"):
            procedure = f["procedure"]
        elif reviews[0].speedy:
            procedure = "速裁"
        else:
            procedure = "简易" if lenient and r.random() < 0.6 else "普通"
        court = CourtCase(filed, procedure)
        late = f.get("late")
        rec_max = max((pr.recommended or 0) for pr in reviews)
        if procedure == "速裁":
            court.closed = (deadline(filed, days=15 if rec_max > 12 else 10, in_custody=False)
                            + self.days(3, 8) if late == "speedy_trial"
                            else filed + self.days(3, 7))
        elif procedure == "简易":
            court.closed = (deadline(filed, days=20, in_custody=False) + self.days(5, 10)
                            if late == "summary_trial" else filed + self.days(7, 15))
        elif late == "first_instance":
            court.closed = deadline(filed, months=3, in_custody=False) + self.days(5, 15)
        elif f.get("trial_extended"):
            court.extended_months = 3
            court.closed = add_months(filed, 4) + self.days(0, 20)
        else:
            court.closed = filed + self.days(15, 50)
        case.court = court
        for pc in persons:
            pc.sentence = self._sentence(case, pc, court.closed, f)
            pc.court_charge = case.charge
        convicted_no_plea = any(not pc.prosecution.plea for pc in persons)
        appeal = f.get("appeal", r.random() < (0.15 if convicted_no_plea else 0.01))
        if appeal:
            a_filed = court.closed + self.days(15, 25)
            if late == "second_instance":
                a_closed = deadline(a_filed, months=2, in_custody=False) + self.days(5, 12)
            else:
                a_closed = a_filed + self.days(20, 45)
            case.appeal = CourtCase(a_filed, "普通", a_closed, a_closed + self.days(1, 3),
                                    second_instance=True)
            effective = case.appeal.effective
        else:
            court.effective = court.closed + self.days(11, 15)
            effective = court.effective
        for pc in persons:
            if not pc.sentence.custodial:
                self._release(pc, court.closed)
            execute(pc, effective, r, f)

    def _sentence(self, case: Case, pc: PersonCase, closed: dt.date, f: dict) -> Sentence:
        r = self.rng
        offence = BY_CHARGE.get(case.charge) or SELF_CHARGES[case.charge]
        pr = pc.prosecution
        roll = r.random()
        if not f and roll < 0.0006:
            return Sentence("无罪", "无", None)
        if not f and roll < 0.015:
            return Sentence("免予刑事处罚", "无", None, adopted=None if pr.recommended is None
                            else False)
        months = pr.recommended or draw_months(r, offence.severity)
        adopted = None
        if pr.recommended is not None:
            adopted = r.random() < 0.93
            if not adopted:
                months = max(1, months + r.choice((-3, -2, -1, 1, 2)))
        penalty = f.get("penalty")
        if penalty in ("prison", "suspended", "fine"):
            months = max(months, 8) if penalty == "prison" else min(months, 36)
        elif penalty == "long":
            months, adopted = r.randint(66, 120), (None if pr.recommended is None else False)
        elif penalty == "short":
            months = min(months, 36)
        custody_days = self._custody_days(pc, closed)
        if custody_days:
            months = max(months, custody_days // 30 + 4)  # remaining term always left to serve
        kind = "拘役" if months <= 6 else "有期徒刑"
        if kind == "有期徒刑" and months <= 24 and not f and r.random() < 0.01:
            kind = "管制"
        p_suspend = {"drunk": 0.4, "light": 0.45, "medium": 0.3}.get(offence.severity, 0.0)
        if pc.juvenile:
            p_suspend += 0.25
        suspended = (kind != "管制" and months <= 36 and penalty not in ("prison", "long")
                     and (penalty == "suspended" or r.random() < p_suspend))
        probation = None
        if suspended:
            probation = (r.randint(max(2, months), 12) if kind == "拘役"
                         else r.randint(max(12, months), min(60, max(12, months) + 24)))
        fine = None
        if penalty == "fine" or r.random() < offence.fine:
            fine = (r.randint(1, 20) * 1000 if offence.severity == "drunk"
                    else r.randint(2, 100) * 1000)
        return Sentence("有罪", kind, months, suspended, probation, fine, adopted)

    def _custody_days(self, pc: PersonCase, closed: dt.date) -> int:
        if not pc.in_custody_at_end:
            return 0
        first = next(m for m in pc.measures if m.kind in ("JL", "DB"))
        return (closed - first.start.date()).days
