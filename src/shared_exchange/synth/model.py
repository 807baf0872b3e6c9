"""The simulated truth: cases, person-cases and every procedural event, before any delivery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shared_exchange.synth.people import Person
from shared_exchange.synth.regions import County


@dataclass(slots=True)
class Measure:
    kind: str  # JL TQPB DB QB JJ SF YQ (police 强制措施 codes)
    start: dt.datetime
    end: dt.datetime | None = None
    doc_no: str = ""


@dataclass(slots=True)
class ArrestReview:
    received: dt.date
    concluded: dt.date | None = None
    conclusion: str = ""


@dataclass(slots=True)
class ProsecutionReview:
    received: dt.date
    concluded: dt.date | None = None
    conclusion: str = ""
    plea: bool = False  # 认罪认罚
    speedy: bool = False  # 适用速裁
    recommended: int | None = None  # 量刑建议月数
    extended: bool = False  # +15 days (art. 172)
    extended_on: dt.date | None = None  # the day the extension was approved (review open)
    returns: list[list[dt.date | None]] = field(default_factory=list)  # [退回, 重新移送]

    @property
    def prosecuted(self) -> bool:
        return self.conclusion == "提起公诉"


@dataclass(slots=True)
class CourtCase:
    filed: dt.date
    procedure: str  # 普通 简易 速裁 (second instance: 普通)
    closed: dt.date | None = None
    effective: dt.date | None = None
    extended_months: int = 0
    case_no: str = ""
    second_instance: bool = False


@dataclass(slots=True)
class Sentence:
    verdict: str  # 有罪 无罪 免予刑事处罚
    penalty: str  # 有期徒刑 拘役 管制 无
    months: int | None
    suspended: bool = False
    probation: int | None = None
    fine: int | None = None
    adopted: bool | None = None  # None when no recommendation was made

    @property
    def custodial(self) -> bool:
        """实刑: 有期徒刑 or 拘役 that is not suspended."""
        return self.penalty in ("有期徒刑", "拘役") and not self.suspended


@dataclass(slots=True)
class Correction:
    kind: str  # 缓刑 假释 管制 暂予监外执行
    effective: dt.date
    reported: dt.date | None
    start: dt.date
    end: dt.date
    history: list[tuple[str, dt.date]] = field(default_factory=list)  # (status, date)


@dataclass(slots=True)
class Enforcement:
    filed: dt.date
    due: int
    closed: dt.date | None = None
    recovered: int | None = None
    closure: str = ""
    case_no: str = ""


@dataclass(slots=True)
class PersonCase:
    key: str  # "PC000001": the person-in-case (人案)
    person: Person | None  # materialised after simulation (age depends on final dates)
    case: Case
    seq: int  # suspect number within the police case
    juvenile: bool
    age: int  # age at the offence, when this is the person's first case
    offence_lag: int  # days between the offence and 立案
    slot: int = 0  # index of the person among the generated persons
    measures: list[Measure] = field(default_factory=list)
    arrest: ArrestReview | None = None
    transferred: dt.date | None = None
    prosecution: ProsecutionReview | None = None
    sentence: Sentence | None = None
    custody_events: list[tuple[str, dt.date, str, int | None]] = field(default_factory=list)
    correction: Correction | None = None
    enforcement: Enforcement | None = None
    legal_aid: list[tuple[str, dt.date]] = field(default_factory=list)  # (stage, assigned)
    court_charge: str = ""
    # what delivery does to this person-case (filled by faults): see faults.py
    fault: str = ""
    omit: set[str] = field(default_factory=set)
    damage: list[tuple[str, str]] = field(default_factory=list)  # (department, kind)
    id_as_delivered: dict[str, str] = field(default_factory=dict)  # department -> ID text
    name_as_delivered: dict[str, str] = field(default_factory=dict)
    keys_as_delivered: dict[str, str] = field(default_factory=dict)  # key name -> text

    @property
    def offence_date(self) -> dt.date:
        return self.case.filed - dt.timedelta(days=self.offence_lag)

    def reset(self) -> None:
        """Forget a simulation run (faults re-run a case until its condition holds)."""
        self.measures, self.arrest, self.transferred, self.prosecution = [], None, None, None
        self.sentence, self.custody_events, self.correction = None, [], None
        self.enforcement, self.legal_aid, self.court_charge = None, [], ""

    @property
    def in_custody_at_end(self) -> bool:
        return any(m.kind in ("JL", "DB") and m.end is None for m in self.measures)

    @property
    def effective_case(self) -> CourtCase | None:
        """The judgment that became effective (second instance when appealed)."""
        c = self.case
        if c.appeal is not None and c.appeal.effective:
            return c.appeal
        return c.court if c.court is not None and c.court.effective else None


@dataclass(slots=True)
class Case:
    key: str
    county: County
    unit: str  # 12-digit police unit code (first 6 = county code)
    charge: str
    filed: dt.date
    major: bool = False  # lxzt: 流窜/多次/结伙
    self_investigated: bool = False
    persons: list[PersonCase] = field(default_factory=list)
    transfer: dt.date | None = None
    withdrawn: dt.date | None = None
    court: CourtCase | None = None
    appeal: CourtCase | None = None
    police_no: str = ""
    arrest_no: str = ""
    prosecution_no: str = ""
    indictment_no: str = ""
    place: str = ""  # street for the case name (never a person's name)

    def reset(self) -> None:
        self.transfer = self.withdrawn = self.court = self.appeal = None
        for pc in self.persons:
            pc.reset()
