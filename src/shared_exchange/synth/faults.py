"""Case-level injected problems: each kind pins a case's path, then records what it must trigger.

A kind is a ``force`` for the simulator, a window for the filing date (days relative to the
last business date), a condition the simulated case must meet as of that date (re-drawn
until it does) and an optional change to what is delivered. Every injected person-case is a
single-suspect case of one adult (juvenile kinds: one juvenile) with no other injection, so
the expected findings and breaches are exact. Normal cases never trigger anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from shared_exchange.synth.model import Case, PersonCase
from shared_exchange.synth.offences import other_charge
from shared_exchange.synth.procedure import Simulator

log = logging.getLogger(__name__)
QB = {"custody": "QB"}
CONVICT = {"custody": "QB", "prosecute": True, "appeal": False}


@dataclass(frozen=True)
class Kind:
    name: str
    force: dict
    window: tuple[int, int]  # filing date = last business date + randint(*window) days
    ok: Callable[[PersonCase, dt.date], bool]
    detector: str = ""  # expected finding (detector code)
    stage: str = ""  # expected time-limit breach (stage code)
    status: str = "open"  # finding still open on the last business date, or closed
    change: Callable[[PersonCase, random.Random, dt.date], None] | None = None
    juvenile: bool = False
    tags: dict = field(default_factory=dict)


def _days(a: dt.date | None, b: dt.date) -> int:
    return (b - a).days if a else -1


def _drop_events(*names: str) -> Callable[[PersonCase, random.Random, dt.date], None]:
    def change(pc: PersonCase, rng: random.Random, last: dt.date) -> None:
        pc.custody_events = [e for e in pc.custody_events if e[0] not in names]
    return change


def _no_intake(pc: PersonCase, rng: random.Random, last: dt.date) -> None:
    pc.custody_events, pc.correction = [], None


def _no_correction(pc: PersonCase, rng: random.Random, last: dt.date) -> None:
    pc.correction = None


def _no_enforcement(pc: PersonCase, rng: random.Random, last: dt.date) -> None:
    pc.enforcement = None


def _terminated(pc: PersonCase, rng: random.Random, last: dt.date) -> None:
    e = pc.enforcement
    e.closed = e.filed + dt.timedelta(days=rng.randint(60, min(110, (last - e.filed).days)))
    e.closure, e.recovered = "终结本次执行", int(e.due * rng.choice((0, 0, 0.1, 0.25, 0.5)))


def _orphan(pc: PersonCase, rng: random.Random, last: dt.date) -> None:
    pc.omit.add("procuratorate")


def _other_charge(pc: PersonCase, rng: random.Random, last: dt.date) -> None:
    pc.court_charge = other_charge(pc.case.charge)


def _history(pc: PersonCase, status: str) -> dt.date | None:
    c = pc.correction
    return next((d for s, d in c.history if s == status), None) if c else None


def _eff(pc: PersonCase) -> dt.date | None:
    c = pc.effective_case
    return c.effective if c else None


def _start(pc: PersonCase, kind: str) -> dt.date | None:
    return next((m.start.date() for m in pc.measures if m.kind == kind), None)


KINDS: tuple[Kind, ...] = (
    Kind("custodial_sentence_not_executed", {**CONVICT, "penalty": "prison", "plea": True},
         (-330, -120), lambda pc, last: _days(_eff(pc), last) >= 40,
         "custodial_sentence_not_executed", change=_no_intake),
    Kind("revoked_not_committed/probation", {**CONVICT, "penalty": "suspended",
                                             "revoke": "probation"},
         (-420, -120), lambda pc, last: _days(_history(pc, "撤销缓刑"), last) >= 40,
         "revoked_not_committed", change=_drop_events("收监")),
    Kind("revoked_not_committed/medical", {**CONVICT, "penalty": "prison", "revoke": "medical"},
         (-455, -300), lambda pc, last: _days(_history(pc, "收监执行"), last) >= 40,
         "revoked_not_committed", change=_drop_events("收监")),
    Kind("correction_not_reported", {**CONVICT, "penalty": "suspended"}, (-300, -80),
         lambda pc, last: _days(_eff(pc), last) >= 15, "correction_not_reported",
         change=_no_correction),
    Kind("custody_overdue/detention", {"custody": "JL", "stall": "detention"}, (-20, -8),
         lambda pc, last: _days(_start(pc, "JL"), last) >= 7, "custody_overdue",
         "detention_to_arrest_request"),
    Kind("custody_overdue/arrest_review", {"custody": "JL", "stall": "arrest_review"},
         (-30, -14), lambda pc, last: _days(pc.arrest and pc.arrest.received, last) >= 11,
         "custody_overdue", "arrest_review"),
    Kind("custody_overdue/investigation", {"custody": "JL", "arrest": "approve",
                                           "stall": "investigation"},
         (-140, -75), lambda pc, last: _days(_start(pc, "DB"), last) >= 68,
         "custody_overdue", "investigation_custody"),
    Kind("supplementary_investigation_over_limit", {**QB, "returns": 3}, (-400, -100),
         lambda pc, last: _days(pc.prosecution and pc.prosecution.returns[2][0], last) >= 0,
         "supplementary_investigation_over_limit"),
    Kind("held_after_release_decision/not_arrested",
         {"custody": "JL", "arrest": "deny", "stall": "held_not_arrested"}, (-30, -10),
         lambda pc, last: 2 <= _days(pc.arrest and pc.arrest.concluded, last) <= 20,
         "held_after_release_decision"),
    Kind("held_after_release_decision/not_prosecuted",
         {"custody": "JL", "arrest": "approve", "prosecute": False, "inv_yq": 0, "returns": 0,
          "stall": "held_not_prosecuted"}, (-120, -40),
         lambda pc, last: 2 <= _days(pc.prosecution and pc.prosecution.concluded, last) <= 25,
         "held_after_release_decision"),
    Kind("bail_or_surveillance_overdue/bail", {"custody": "QB", "stall": "bail"}, (-450, -395),
         lambda pc, last: _days(_start(pc, "QB"), last) >= 380, "bail_or_surveillance_overdue",
         "bail"),
    Kind("bail_or_surveillance_overdue/surveillance", {"custody": "JJ", "stall": "surveillance"},
         (-260, -205), lambda pc, last: _days(_start(pc, "JJ"), last) >= 200,
         "bail_or_surveillance_overdue", "residential_surveillance"),
    Kind("fine_not_enforced/no_enforcement", {**CONVICT, "penalty": "fine"}, (-360, -150),
         lambda pc, last: _days(_eff(pc), last) >= 70, "fine_not_enforced",
         change=_no_enforcement),
    Kind("fine_not_enforced/terminated", {**CONVICT, "penalty": "fine"}, (-440, -220),
         lambda pc, last: _days(pc.enforcement and pc.enforcement.filed, last) >= 120,
         "fine_not_enforced", change=_terminated),
    Kind("orphan_court_case", {"prosecute": True, "appeal": False}, (-300, -60),
         lambda pc, last: _days(pc.case.court and pc.case.court.filed, last) >= 0,
         "orphan_court_case", change=_orphan),
    Kind("charge_mismatch", {"prosecute": True, "appeal": False}, (-300, -60),
         lambda pc, last: _days(pc.case.court and pc.case.court.filed, last) >= 0,
         "charge_mismatch", change=_other_charge),
    Kind("breach/prosecution_review", {**QB, "late": "prosecution_review", "returns": 0},
         (-300, -70), lambda pc, last: _days(pc.prosecution and pc.prosecution.concluded,
                                            last) >= 0, stage="prosecution_review"),
    Kind("breach/supplementary_investigation",
         {**QB, "late": "supplementary_investigation", "returns": 1}, (-300, -80),
         lambda pc, last: _days(pc.prosecution and pc.prosecution.returns[0][1], last) >= 0,
         stage="supplementary_investigation"),
    Kind("breach/first_instance", {**CONVICT, "procedure": "普通", "late": "first_instance"},
         (-380, -200), lambda pc, last: _days(pc.case.court.closed if pc.case.court else None,
                                              last) >= 0, stage="first_instance"),
    Kind("breach/summary_trial", {**CONVICT, "plea": True, "procedure": "简易",
                                  "penalty": "short", "late": "summary_trial"},
         (-300, -90), lambda pc, last: (_days(pc.case.court.closed if pc.case.court else None,
                                              last) >= 0 and pc.prosecution.recommended <= 36),
         stage="summary_trial"),
    Kind("breach/speedy_trial", {**CONVICT, "plea": True, "speedy": True, "procedure": "速裁",
                                 "late": "speedy_trial"},
         (-300, -90), lambda pc, last: _days(pc.case.court.closed if pc.case.court else None,
                                             last) >= 0, stage="speedy_trial"),
    Kind("breach/second_instance", {**CONVICT, "appeal": True, "late": "second_instance"},
         (-420, -200), lambda pc, last: _days(pc.case.appeal and pc.case.appeal.closed,
                                              last) >= 0, stage="second_instance"),
    Kind("breach/correction_report", {**CONVICT, "penalty": "suspended",
                                      "late": "correction_report"},
         (-300, -90), lambda pc, last: _days(pc.correction and pc.correction.reported, last) >= 0,
         "correction_not_reported", "correction_report", status="closed"),
    # Lawful extensions: normal cases that must NOT be reported as breaches.
    Kind("extension/detention", {"custody": "JL", "det_yq": True, "arrest": "approve"},
         (-200, -20), lambda pc, last: _days(_start(pc, "TQPB"), last) >= 0),
    Kind("extension/investigation_1", {"custody": "JL", "arrest": "approve", "inv_yq": 1},
         (-300, -100), lambda pc, last: _days(pc.transferred, last) >= 0),
    Kind("extension/investigation_2", {"custody": "JL", "arrest": "approve", "inv_yq": 2},
         (-330, -140), lambda pc, last: _days(pc.transferred, last) >= 0),
    Kind("extension/first_instance", {**CONVICT, "procedure": "普通", "trial_extended": True},
         (-400, -200), lambda pc, last: _days(pc.case.court.closed if pc.case.court else None,
                                              last) >= 0),
    # Juveniles (domain.md §6): sealed when sentenced ≤ 5 years or not prosecuted.
    Kind("juvenile/sentence_le_5y", {"prosecute": True, "appeal": False, "penalty": "short"},
         (-400, -120), lambda pc, last: _days(_eff(pc), last) >= 0, juvenile=True),
    Kind("juvenile/sentence_gt_5y", {"custody": "JL", "arrest": "approve", "prosecute": True,
                                     "appeal": False, "penalty": "long", "inv_yq": 0},
         (-400, -150), lambda pc, last: _days(_eff(pc), last) >= 0, juvenile=True),
    Kind("juvenile/not_prosecuted", {"prosecute": False}, (-300, -60),
         lambda pc, last: _days(pc.prosecution and pc.prosecution.concluded, last) >= 0,
         juvenile=True),
)


def inject(cases: list[Case], sim: Simulator, rng: random.Random, last: dt.date,
           per_kind: int, earliest: dt.date) -> tuple[dict[str, list[PersonCase]], set[str]]:
    """Pick, pin and simulate the injected cases: (kind -> person-cases, simulated case keys).

    The picked cases are simulated here; the caller simulates every other case normally.
    """
    repeaters = _repeat_slots(cases)
    pool = [c for c in cases if len(c.persons) == 1 and not c.self_investigated
            and c.persons[0].slot not in repeaters]
    rng.shuffle(pool)
    adults = [c for c in pool if not c.persons[0].juvenile]
    juveniles = [c for c in pool if c.persons[0].juvenile]
    done: dict[str, list[PersonCase]] = {}
    simulated: set[str] = set()
    for kind in KINDS:
        source = juveniles if kind.juvenile else adults
        got = done.setdefault(kind.name, [])
        while len(got) < per_kind and (source or kind.juvenile):
            if kind.juvenile and not juveniles:
                if not adults:
                    break
                case = adults.pop()  # make this person a juvenile (dates are fixed below)
                case.persons[0].juvenile, case.persons[0].age = True, rng.randint(14, 17)
            else:
                case = source.pop()
            simulated.add(case.key)
            if _pin(case, kind, sim, rng, last, earliest):
                got.append(case.persons[0])
        if len(got) < per_kind:
            log.warning("synthetic fault %s injected %d of %d times", kind.name, len(got),
                        per_kind)
    return done, simulated


def _pin(case: Case, kind: Kind, sim: Simulator, rng: random.Random, last: dt.date,
         earliest: dt.date) -> bool:
    pc = case.persons[0]
    for _ in range(80):
        case.reset()
        case.filed = max(earliest, last + dt.timedelta(days=rng.randint(*kind.window)))
        if case.charge in ("受贿罪", "滥用职权罪", "贪污罪"):
            case.charge = "盗窃罪"
        sim.run(case, dict(kind.force))
        if kind.ok(pc, last):
            if kind.change is not None:
                kind.change(pc, rng, last)
            pc.fault = kind.name
            return True
    case.reset()
    sim.run(case, {})
    return False


def _repeat_slots(cases: list[Case]) -> set[int]:
    seen, twice = set(), set()
    for c in cases:
        for pc in c.persons:
            (twice if pc.slot in seen else seen).add(pc.slot)
    return twice
