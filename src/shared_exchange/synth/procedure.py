"""The life of a case (domain.md §1): police → procuratorate → court, within the §2 limits.

Normal durations are kept well inside every legal limit so that no normal case is
borderline; a ``force`` dict (set by faults.py) pins choices or makes one stage overrun.
Events after the last business date are simulated too; delivery simply never reaches them.
"""

from __future__ import annotations

import datetime as dt
import random

from shared_exchange.synth.limits import DAY, deadline
from shared_exchange.synth.model import ArrestReview, Case, Measure, PersonCase, ProsecutionReview
from shared_exchange.synth.offences import BY_CHARGE, SELF_INVESTIGATED, draw_months
from shared_exchange.synth.trial import TrialMixin, at

NOT_ARRESTED = ("不批准逮捕-无逮捕必要", "不批准逮捕-证据不足", "不批准逮捕-不构成犯罪")
NOT_PROSECUTED = ("酌定不起诉",) * 4 + ("存疑不起诉", "法定不起诉")
# Share of detained suspects bailed before any arrest request; with the offence mix's
# detention rates it puts 诉前羁押率 in the 27–43 % reference range of domain.md §4
# (at 0.25 it was 23 %).
RELEASED_BEFORE_ARREST_REQUEST = 0.05
SELF_CHARGES = {o.charge: o for o in SELF_INVESTIGATED}




class Simulator(TrialMixin):
    """Runs one case through the procedure; ``force`` pins choices (see faults.py)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def days(self, lo: int, hi: int) -> dt.timedelta:
        return dt.timedelta(days=lo + int(self.rng.random() * (hi - lo + 1)))

    def run(self, case: Case, force: dict) -> None:
        if case.self_investigated:
            received = case.filed + self.days(60, 120)  # transferred by the investigating organ
            for pc in case.persons:
                pc.transferred = None
            self._prosecution(case, case.persons, received, force)
            return
        survivors = self._police(case, force)
        if survivors:
            self._prosecution(case, survivors, case.transfer, force)

    # -- police: detention, arrest review, investigation ----------------------------------
    def _police(self, case: Case, force: dict) -> list[PersonCase]:
        r, f = self.rng, force
        jl_day = case.filed + self.days(0, 2)
        detained, bailed = [], []
        for pc in case.persons:
            mode = f.get("custody") or self._custody_mode(case)
            if mode == "JL":
                pc.measures.append(Measure("JL", at(jl_day, r)))
                detained.append(pc)
            else:
                pc.measures.append(Measure(mode, at(case.filed + self.days(0, 5), r)))
                bailed.append(pc)
        if f.get("stall") == "detention":
            return []
        requested = []
        for pc in detained:
            if not f and r.random() < RELEASED_BEFORE_ARREST_REQUEST:
                qb_day = jl_day + self.days(1, 2)
                pc.measures[0].end = at(qb_day, r)
                pc.measures.append(Measure("QB", pc.measures[0].end))
                bailed.append(pc)
            else:
                requested.append(pc)
        arrested = self._arrest(case, requested, jl_day, force) if requested else []
        if arrested is None:
            return []
        bailed += [pc for pc in requested if pc not in arrested and pc.measures[-1].kind == "QB"]
        free_or_bailed = [pc for pc in requested if pc not in arrested]
        if arrested:
            transfer = self._investigation_custody(arrested, force)
        else:
            transfer = self._investigation_at_liberty(case, bailed, force)
        if transfer is None:
            return []
        case.transfer = transfer
        for pc in bailed:
            bail = next(m for m in reversed(pc.measures) if m.kind in ("QB", "JJ"))
            bail.end = at(transfer, r)
        survivors = arrested + bailed + [pc for pc in free_or_bailed if pc not in bailed]
        for pc in survivors:
            pc.transferred = transfer
        return survivors

    def _custody_mode(self, case: Case) -> str:
        r = self.rng
        if r.random() < BY_CHARGE[case.charge].detain:
            return "JL"
        return "JJ" if r.random() < 0.05 else "QB"

    def _arrest(self, case: Case, requested: list[PersonCase], jl_day: dt.date,
                force: dict) -> list[PersonCase] | None:
        """Request, review and decision; None when the case stops here (stalled)."""
        r, f = self.rng, force
        if case.major and r.random() < 0.6:
            yq, request_after = True, r.randint(10, 25)  # 30-day detention (art. 91)
        elif f.get("det_yq") or (not f and r.random() < 0.1):
            yq, request_after = True, r.randint(4, 5)  # extended to 7 days
        else:
            yq, request_after = False, r.randint(1, 2)
        request_day = jl_day + dt.timedelta(days=request_after)
        for pc in requested:
            if yq:
                pc.measures.append(Measure("YQ", at(jl_day + 2 * DAY, r)))
            pc.measures.append(Measure("TQPB", at(request_day, r)))
            pc.arrest = ArrestReview(request_day)
        if f.get("stall") == "arrest_review":
            return None
        decided = request_day + self.days(2, 5)
        arrested = []
        for pc in requested:
            jl = pc.measures[0]
            if f.get("arrest") == "deny" or (f.get("arrest") != "approve" and r.random() < 0.25):
                pc.arrest.conclusion = self._denial(case)
            else:
                pc.arrest.conclusion = "批准逮捕"
            pc.arrest.concluded = decided
            if pc.arrest.conclusion == "批准逮捕":
                jl.end = at(decided, r)
                pc.measures.append(Measure("DB", jl.end + dt.timedelta(hours=1)))
                arrested.append(pc)
            elif f.get("stall") == "held_not_arrested":
                return None  # the decision is never executed: still held
            else:
                jl.end = at(decided, r)
                pc.measures.append(Measure("QB" if r.random() < 0.8 else "SF", jl.end))
        if (len(case.persons) == 1 and not arrested and not f
                and requested[0].arrest.conclusion.endswith("不构成犯罪")):
            self._withdraw(case, decided + self.days(10, 40))
            return None
        return arrested

    def _denial(self, case: Case) -> str:
        r = self.rng.random()
        if r < 0.72:
            return NOT_ARRESTED[0]
        if r < 0.94 or len(case.persons) > 1:
            return NOT_ARRESTED[1]
        return NOT_ARRESTED[2]

    def _withdraw(self, case: Case, day: dt.date) -> None:
        case.withdrawn = day
        for pc in case.persons:
            for m in pc.measures:
                if m.kind in ("QB", "JJ") and m.end is None:
                    m.end = at(day, self.rng)

    def _investigation_custody(self, arrested: list[PersonCase], force: dict) -> dt.date | None:
        r, f = self.rng, force
        db_day = arrested[0].measures[-1].start.date()
        if f.get("stall") == "investigation":
            return None
        n_yq = f.get("inv_yq")
        if n_yq is None:
            n_yq = 0 if f or r.random() < 0.88 else (1 if r.random() < 0.75 else 2)
        spans = ((20, 50), (65, 80), (100, 125))[n_yq]
        for lo, hi in ((45, 52), (80, 85))[:n_yq]:
            yq_day = db_day + self.days(lo, hi)
            for pc in arrested:
                pc.measures.append(Measure("YQ", at(yq_day, r)))
        return db_day + self.days(*spans)

    def _investigation_at_liberty(self, case: Case, bailed: list[PersonCase],
                                  force: dict) -> dt.date | None:
        r, f = self.rng, force
        if f.get("stall") in ("bail", "surveillance"):
            return None
        if len(case.persons) == 1 and not f and r.random() < 0.02:
            self._withdraw(case, case.filed + self.days(20, 90))
            return None
        surveilled = any(pc.measures[-1].kind == "JJ" for pc in bailed)
        return case.filed + (self.days(20, 100) if surveilled else self.days(20, 120))

    # -- procuratorate: 审查起诉 with 退回补充侦查 ----------------------------------------
    def _prosecution(self, case: Case, persons: list[PersonCase], received: dt.date,
                     force: dict) -> None:
        r, f = self.rng, force
        n_returns = f.get("returns")
        if n_returns is None:
            n_returns = 0 if f or r.random() < 0.85 else (1 if r.random() < 0.8 else 2)
        offence = BY_CHARGE.get(case.charge) or SELF_CHARGES[case.charge]
        reviews = []
        for pc in persons:
            plea = f.get("plea", r.random() < (0.9 if not pc.juvenile else 0.95))
            pr = ProsecutionReview(received, plea=plea)
            if plea:
                months = draw_months(r, offence.severity)
                pr.recommended = max(1, months // 2) if pc.juvenile else months
            pc.prosecution = pr
            reviews.append(pr)
        cursor = received
        returns = []
        for _ in range(n_returns):
            returned = cursor + self.days(8, 18)
            if f.get("late") == "supplementary_investigation":
                back = deadline(returned, months=1, in_custody=False) + self.days(5, 12)
            else:
                back = returned + self.days(12, 26)
            returns.append((returned, back))
            cursor = back
        for pr in reviews:
            pr.returns = [[a, b] for a, b in returns]
        lenient = all(pr.plea and (pr.recommended or 99) <= 36 for pr in reviews)
        speedy = f.get("speedy", lenient and r.random() < 0.45)
        extended = not speedy and f.get("extended", not f and r.random() < 0.05)
        if f.get("late") == "prosecution_review":
            limit = deadline(cursor, months=1, days=15 if extended else 0, in_custody=False)
            concluded = limit + self.days(5, 12)
        elif speedy:
            concluded = cursor + self.days(3, 7)
        else:
            concluded = cursor + (self.days(30, 38) if extended else self.days(8, 24))
        # art. 172's +15 days are approved inside the base month, while the review is open;
        # the day is derived (no extra draw) so the rest of the simulation is unchanged
        extended_on = cursor + dt.timedelta(days=18 + (concluded - cursor).days % 8) \
            if extended else None
        for pc, pr in zip(persons, reviews, strict=True):
            pr.speedy, pr.extended, pr.concluded = speedy, extended, concluded
            pr.extended_on = extended_on
            pr.conclusion = self._disposition(pc, f)
            if not pr.prosecuted:
                pr.recommended = None
                if f.get("stall") == "held_not_prosecuted":
                    continue
                self._release(pc, concluded)
        prosecuted = [pc for pc in persons if pc.prosecution.prosecuted]
        if prosecuted:
            self._trial(case, prosecuted, concluded, force)

    def _disposition(self, pc: PersonCase, f: dict) -> str:
        r = self.rng
        if "prosecute" in f:
            if f["prosecute"]:
                return "提起公诉"
            return "附条件不起诉" if pc.juvenile else "酌定不起诉"
        if r.random() < 0.78:
            return "提起公诉"
        if pc.juvenile and r.random() < 0.5:
            return "附条件不起诉"
        return r.choice(NOT_PROSECUTED)

    def _release(self, pc: PersonCase, day: dt.date) -> None:
        if pc.in_custody_at_end:
            for m in pc.measures:
                if m.kind in ("JL", "DB") and m.end is None:
                    m.end = at(day, self.rng)
            pc.measures.append(Measure("SF", at(day, self.rng)))
