"""Legal deadlines as CPL art. 105 counts them (start day excluded, calendar months, holidays)."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache

from chinese_calendar import constants

DAY = dt.timedelta(days=1)


def add_months(start: dt.date, months: int) -> dt.date:
    """Calendar months: 2022-01-31 + 1 month is 2022-02-28."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


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
