"""Per department and business date: on time, late, rejected, missing, pending."""

from __future__ import annotations

import json

import pytest

from shared_exchange.quality.freshness import (
    department_days,
    departments_included,
    late_departments,
)


def _ledger(settings, source, day, extracted, status="loaded"):
    folder = settings.ledger / source
    folder.mkdir(parents=True, exist_ok=True)
    batch_id = f"{source}-{day.replace('-', '')}-01"
    entry = {"source": source, "batch_id": batch_id, "business_date": day, "status": status,
             "extracted_at": extracted, "files": [], "delivered": 0, "loaded": 0,
             "quarantined": 0, "quarantine_reasons": {}}
    (folder / f"{batch_id}.json").write_text(json.dumps(entry))


@pytest.fixture
def ledgers(settings):
    for day, nxt in (("2022-03-01", "2022-03-02"), ("2022-03-02", "2022-03-03"),
                     ("2022-03-03", "2022-03-04")):
        _ledger(settings, "police", day, f"{nxt}T01:10:00+08:00")
        if day != "2022-03-03":  # the newest day is not due yet for the others
            _ledger(settings, "justice", day, f"{nxt}T02:00:00")
            _ledger(settings, "court", day, f"{nxt}T03:00:00+08:00",
                    status="rejected" if day == "2022-03-02" else "loaded")
    _ledger(settings, "procuratorate", "2022-03-01", "2022-03-03T09:00:00+08:00")  # late
    return settings


def test_statuses(ledgers):
    days = {(d.department, d.business_date): d for d in department_days(ledgers)}
    assert days[("police", "2022-03-01")].status == "on_time"
    late = days[("procuratorate", "2022-03-01")]
    assert late.status == "late" and late.hours_late == 21.0  # due 2022-03-02 12:00 local
    assert days[("procuratorate", "2022-03-02")].status == "missing"
    assert days[("court", "2022-03-02")].status == "rejected"
    # as of the newest extraction (03-04 01:10) the 03-03 batches are not due until 12:00
    assert days[("justice", "2022-03-03")].status == "pending"
    assert len(days) == 12


def test_late_departments_and_inclusion(ledgers, monkeypatch):
    bad = [(d.department, d.business_date, d.status) for d in late_departments(ledgers)]
    assert bad == [("procuratorate", "2022-03-02", "missing"),
                   ("court", "2022-03-02", "rejected"),
                   ("procuratorate", "2022-03-01", "late")]
    assert departments_included(ledgers, "2022-03-02") == ["police", "justice"]
    monkeypatch.setenv("SHARED_EXCHANGE_LATE_AFTER_HOURS", "48")
    assert not [d for d in late_departments(ledgers) if d.status == "late"]


def test_no_ledgers_no_days(settings):
    assert department_days(settings) == []
