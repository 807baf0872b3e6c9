"""Per department and business date: delivered on time, late, rejected, missing or pending.

Judged from the batch ledgers and the landing manifests' ``extracted_at``, against an as-of
time taken from the data (the latest extraction seen), never from the wall clock, so a rerun
gives the same verdict. A batch is late when it was extracted more than
``SHARED_EXCHANGE_LATE_AFTER_HOURS`` (default 12, project choice) after the end of its
business date (Asia/Shanghai). A day with no batch is ``pending`` until that deadline passes
as of the data, then ``missing``; a day whose only batches were rejected is ``rejected``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from shared_exchange.config import Settings
from shared_exchange.quality.storage import read_json

log = logging.getLogger(__name__)

DEPARTMENTS = ("police", "procuratorate", "court", "justice")
LOCAL = ZoneInfo("Asia/Shanghai")
DEFAULT_LATE_AFTER_HOURS = 12.0


@dataclass(frozen=True)
class DepartmentDay:
    department: str
    business_date: str
    status: str  # on_time | late | rejected | missing | pending
    batches: int
    extracted_at: str | None
    hours_late: float | None

    @property
    def key(self) -> str:
        return f"{self.department}/{self.business_date}"


def late_after_hours(settings: Settings) -> float:
    configured = getattr(settings, "late_after_hours", None)
    if configured is not None:
        return float(configured)
    return float(os.environ.get("SHARED_EXCHANGE_LATE_AFTER_HOURS", DEFAULT_LATE_AFTER_HOURS))


def _deadline(business_date: dt.date, grace_hours: float) -> dt.datetime:
    end_of_day = dt.datetime.combine(business_date + dt.timedelta(days=1), dt.time(), LOCAL)
    return end_of_day + dt.timedelta(hours=grace_hours)


def _extracted_at(settings: Settings, ledger: dict[str, Any]) -> dt.datetime | None:
    if ledger.get("extracted_at"):
        raw = ledger["extracted_at"]
    else:
        manifest = (settings.landing / ledger["source"] / str(ledger["business_date"])
                    / ledger["batch_id"] / "manifest.json")
        raw = (read_json(manifest) or {}).get("extracted_at")
    if not raw:
        return None
    stamp = dt.datetime.fromisoformat(str(raw))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=LOCAL)


def _ledgers(settings: Settings) -> list[dict[str, Any]]:
    found = []
    for department in DEPARTMENTS:
        for path in sorted((settings.ledger / department).glob("*.json")):
            ledger = read_json(path)
            if ledger:
                ledger.setdefault("source", department)
                found.append(ledger)
    return found


def department_days(
    settings: Settings,
    *,
    as_of: dt.datetime | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[DepartmentDay]:
    """Every (department, business date) between the first and last date any batch names."""
    grace = late_after_hours(settings)
    by_day: dict[tuple[str, dt.date], list[tuple[str, dt.datetime | None]]] = {}
    extractions = []
    for ledger in _ledgers(settings):
        day = dt.date.fromisoformat(str(ledger["business_date"]))
        stamp = _extracted_at(settings, ledger)
        by_day.setdefault((ledger["source"], day), []).append((ledger.get("status", ""), stamp))
        if stamp:
            extractions.append(stamp)
    if not by_day:
        return []
    dates = [d for _, d in by_day]
    start, end = start or min(dates), end or max(dates)
    as_of = as_of or (max(extractions) if extractions else _deadline(end, grace))
    days = []
    for offset in range((end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        deadline = _deadline(day, grace)
        for department in DEPARTMENTS:
            batches = by_day.get((department, day), [])
            stamps = [s for st, s in batches if st == "loaded" and s]
            loaded_any = any(st == "loaded" for st, _ in batches)
            first = min(stamps) if stamps else None
            hours_late = None
            if loaded_any:
                late = first is not None and first > deadline
                status = "late" if late else "on_time"
                if late:
                    hours_late = round((first - deadline).total_seconds() / 3600, 1)
            elif batches:
                status = "rejected"
            else:
                status = "missing" if as_of > deadline else "pending"
            days.append(DepartmentDay(department, day.isoformat(), status, len(batches),
                                      first.isoformat() if first else None, hours_late))
    return days


def completeness_frame(settings: Settings, **kwargs: Any) -> pd.DataFrame:
    """The frame the ``completeness`` suite validates (key ``department_date``)."""
    rows = [{"department_date": d.key, **asdict(d)} for d in department_days(settings, **kwargs)]
    columns = ["department_date", "department", "business_date", "status", "batches",
               "extracted_at", "hours_late"]
    return pd.DataFrame(rows, columns=columns)


def late_departments(settings: Settings, **kwargs: Any) -> list[DepartmentDay]:
    """Department-days that need attention (late, rejected or missing), newest first."""
    bad = [d for d in department_days(settings, **kwargs)
           if d.status in ("late", "rejected", "missing")]
    return sorted(bad, key=lambda d: (d.business_date, d.department), reverse=True)


def departments_included(settings: Settings, business_date: str) -> list[str]:
    """Departments whose data for ``business_date`` is loaded (on time or late)."""
    day = dt.date.fromisoformat(business_date)
    return [d.department for d in department_days(settings, start=day, end=day)
            if d.status in ("on_time", "late")]
