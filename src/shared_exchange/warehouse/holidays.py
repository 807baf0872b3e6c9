"""Generate the holiday seed (dbt_project/seeds/holidays.csv) from the `chinesecalendar` package.

CPL art. 105 moves a deadline that falls on a holiday to the next working day (except while
the person is in custody). "Holiday" there means any non-working day: official public
holidays and ordinary weekends, but NOT the weekend days the State Council turns into
working days (调休). The seed lists only the exceptions to the Monday–Friday rule:

- every public-holiday date (``is_holiday = true``), including weekend days inside a holiday;
- every adjusted working day (``is_holiday = false, is_workday = true``), i.e. a 调休 weekend day.

The dbt model ``int_legal_calendar`` expands it to one row per day. The generator is
deterministic (sorted output, LF line ends), so rerunning it on the same package version
reproduces the committed file byte for byte::

    python -m shared_exchange.warehouse.holidays            # rewrite the seed
    python -m shared_exchange.warehouse.holidays --check    # exit 1 if the seed is stale
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import logging
import sys
from pathlib import Path

from chinese_calendar import constants

from shared_exchange.config import PROJECT_ROOT

log = logging.getLogger(__name__)

SEED_PATH = PROJECT_ROOT / "dbt_project" / "seeds" / "holidays.csv"
FIRST_YEAR = 2020
LAST_YEAR = 2026
COLUMNS = ("date", "is_holiday", "is_workday", "name")
# Chinese names of the holidays the package labels in English (unknown labels pass through).
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def covered_years() -> tuple[int, int]:
    """First and last year the installed `chinesecalendar` knows official arrangements for."""
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return min(years), max(years)


def holiday_rows(first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> list[dict[str, str]]:
    """One row per public holiday or 调休 working day in [first_year, last_year], by date."""
    lo, hi = covered_years()
    if first_year < lo or last_year > hi:
        raise ValueError(
            f"chinesecalendar covers {lo}-{hi}, not {first_year}-{last_year}: upgrade the "
            "package (pip install -U chinesecalendar) or narrow the range"
        )
    start, end = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    rows: dict[dt.date, dict[str, str]] = {}
    for kind, table in (("holiday", constants.holidays), ("workday", constants.workdays)):
        for day, label in table.items():
            if not start <= day <= end:
                continue
            name = str(getattr(label, "value", label))
            rows[day] = {
                "date": day.isoformat(),
                "is_holiday": "true" if kind == "holiday" else "false",
                "is_workday": "true" if kind == "workday" else "false",
                "name": CHINESE_NAMES.get(name, name),
            }
    return [rows[d] for d in sorted(rows)]


def render_csv(rows: list[dict[str, str]]) -> str:
    """The seed file's exact text (LF line ends, fixed column order)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_seed(path: Path = SEED_PATH) -> Path:
    """Write the seed for FIRST_YEAR..LAST_YEAR; returns the path written."""
    text = render_csv(holiday_rows())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    log.info("wrote %s (%d dates)", path, text.count("\n") - 1)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the seed is stale")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.check:
        expected = render_csv(holiday_rows())
        actual = SEED_PATH.read_text(encoding="utf-8") if SEED_PATH.exists() else ""
        if actual != expected:
            log.error("%s is stale: run python -m shared_exchange.warehouse.holidays", SEED_PATH)
            return 1
        return 0
    write_seed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
