"""Legal deadlines as CPL art. 105 counts them (start day excluded, calendar months, holidays)."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache

from chinese_calendar import constants

DAY = dt.timedelta(days=1)
# The warehouse's dbt var `cpl_105_month_end_to_month_end` (dbt_project.yml): 期限起算日为本月
# 最后一日的，至下月最后一日为一个月. tests/synth check the two stay equal.
MONTH_END_TO_MONTH_END = True


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(start: dt.date, months: int, *,
               month_end_to_month_end: bool = MONTH_END_TO_MONTH_END) -> dt.date:
    """Calendar months as art. 105 counts them (macros/legal/add_period.sql does the same).

    The same day of the target month, or its last day when that day does not exist
    (2022-01-31 + 1 month = 2022-02-28); a start on the last day of its month ends on the
    last day of the target month (2022-02-28 + 1 month = 2022-03-31).
    """
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    last = _month_days(year, month)
    if month_end_to_month_end and start.day == _month_days(start.year, start.month):
        return dt.date(year, month, last)
    return dt.date(year, month, min(start.day, last))


@cache
def _covered() -> tuple[dt.date, dt.date]:
    days = list(constants.holidays) + list(constants.workdays)
    return min(days), max(days)


def is_rest_day(day: dt.date) -> bool:
    """Public holiday or an ordinary weekend that is not a 调休 working day."""
    lo, hi = _covered()
    if lo <= day <= hi:
        if day in constants.holidays:
            return True
        if day in constants.workdays:
            return False
    return day.weekday() >= 5


def deadline(start: dt.date, *, days: int = 0, months: int = 0, in_custody: bool) -> dt.date:
    """The last day of a period of ``months`` + ``days`` that starts on ``start``.

    The start day does not count, so N days end at the end of day start+N. A last day that is
    a rest day moves to the next working day, except while the person is in custody.
    """
    end = add_months(start, months) + days * DAY
    if not in_custody:
        while is_rest_day(end):
            end += DAY
    return end
