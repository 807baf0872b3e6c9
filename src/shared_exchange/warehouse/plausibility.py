"""Province-wide scoreboard rates of a build against the national reference values of
domain.md §4 — plausibility of generated data, not targets for real departments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# indicator → (low, high) share; domain.md §4 "National reference values"
REFERENCE: dict[str, tuple[float, float]] = {
    "non_prosecution_rate": (0.20, 0.24),           # 不诉率 ≈ 20–24 % (2022)
    "pretrial_detention_rate": (0.27, 0.43),        # 诉前羁押率 ≈ 27–43 % (2020–2022)
    "plea_rate": (0.85, 1.0),                       # 认罪认罚适用率 > 85 %
    "recommendation_adoption_rate": (0.90, 1.0),    # 量刑建议采纳率 > 90 %
}


@dataclass(frozen=True)
class IndicatorRate:
    indicator: str
    numerator: int
    denominator: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.numerator / self.denominator if self.denominator else float("nan")

    @property
    def plausible(self) -> bool:
        return self.low <= self.rate <= self.high


def indicator_rates(db_path: Path) -> list[IndicatorRate]:
    """Every reference indicator over all periods and regions of the build's facts.

    Read from the internal facts (distinct units), not from the published boards, whose small
    cells are suppressed.
    """
    names = sorted(REFERENCE)
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            "select indicator, count(distinct unit_id) filter (where in_numerator), "
            "count(distinct unit_id) from intermediate.int_scoreboard_facts "
            f"where indicator in ({', '.join('?' for _ in names)}) group by indicator",
            names).fetchall()
    found = {name: (num, den) for name, num, den in rows}
    return [IndicatorRate(name, *found.get(name, (0, 0)), *REFERENCE[name]) for name in names]
