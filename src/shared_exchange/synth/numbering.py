"""Case and document numbers, allocated per office and year in date order (as real registries do).

Formats: police ``A`` + 12-digit unit + yyyymm + 4-digit sequence; 部门受案号 and 起诉书
``杭西检刑诉〔2022〕123号``; court ``（2022）浙0106刑初123号`` / ``浙01刑终`` / ``执``.
"""

from __future__ import annotations

from collections import defaultdict

from shared_exchange.synth.model import Case

MEASURE_WORD = {"JL": "拘", "TQPB": "提捕", "DB": "捕", "QB": "取保", "JJ": "监居", "SF": "释",
                "YQ": "延"}


class Counter:
    def __init__(self) -> None:
        self._next: dict[tuple, int] = defaultdict(int)

    def __call__(self, *key: object) -> int:
        self._next[key] += 1
        return self._next[key]


def number_cases(cases: list[Case]) -> None:
    """Give every case, review, judgment, enforcement and measure its number."""
    nxt = Counter()
    for c in sorted(cases, key=lambda c: (c.filed, c.key)):
        if not c.self_investigated:
            seq = nxt("police", c.unit, c.filed.year, c.filed.month)
            c.police_no = f"A{c.unit}{c.filed:%Y%m}{seq:04d}"
    # (date, order, case key, sub key, kind, case, object): the first four are unique
    events: list[tuple] = []
    for c in cases:
        for pc in c.persons:
            if pc.arrest is not None:
                events.append((pc.arrest.received, 0, c.key, pc.key, "arrest", c, None))
            if pc.prosecution is not None:
                events.append((pc.prosecution.received, 1, c.key, pc.key, "prosecution", c, None))
                if pc.prosecution.prosecuted:
                    events.append((pc.prosecution.concluded, 2, c.key, pc.key, "indictment", c,
                                   None))
            if pc.enforcement is not None:
                events.append((pc.enforcement.filed, 5, c.key, pc.key, "enforcement", c, pc))
            for i, m in enumerate(pc.measures):
                events.append((m.start.date(), 6, c.key, f"{pc.key}/{i:03d}", "measure", c, m))
        if c.court is not None:
            events.append((c.court.filed, 3, c.key, "", "court", c, None))
        if c.appeal is not None:
            events.append((c.appeal.filed, 4, c.key, "", "appeal", c, None))
    events.sort(key=lambda e: e[:4])
    for day, _, _, _, kind, c, obj in events:
        year, abbr = day.year, c.county.abbr
        if kind == "arrest" and not c.arrest_no:
            c.arrest_no = f"{abbr}检捕受〔{year}〕{nxt('arrest', abbr, year)}号"
        elif kind == "prosecution" and not c.prosecution_no:
            c.prosecution_no = f"{abbr}检审诉受〔{year}〕{nxt('pros', abbr, year)}号"
        elif kind == "indictment" and not c.indictment_no:
            c.indictment_no = f"{abbr}检刑诉〔{year}〕{nxt('ind', abbr, year)}号"
        elif kind == "court" and not c.court.case_no:
            code = c.county.court_code
            c.court.case_no = f"（{year}）{code}刑初{nxt('刑初', code, year)}号"
        elif kind == "appeal" and not c.appeal.case_no:
            code = c.county.intermediate_court_code
            c.appeal.case_no = f"（{year}）{code}刑终{nxt('刑终', code, year)}号"
        elif kind == "enforcement":
            code = c.county.court_code
            obj.enforcement.case_no = f"（{year}）{code}执{nxt('执', code, year)}号"
        elif kind == "measure":
            word = MEASURE_WORD[obj.kind]
            obj.doc_no = f"{abbr}公刑{word}字〔{year}〕{nxt('doc', abbr, year, word):05d}号"
