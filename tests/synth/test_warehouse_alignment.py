"""The generator follows the warehouse's legal rules: art. 105 month ends, extensions delivered
when approved, and identity errors only where the warehouse can see them."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from shared_exchange.config import PROJECT_ROOT
from shared_exchange.synth import records
from shared_exchange.synth.damage import MISMATCH, carrying_departments
from shared_exchange.synth.limits import MONTH_END_TO_MONTH_END, add_months, deadline
from shared_exchange.synth.world import build_world

START = dt.date(2022, 3, 1)
# field name per department table: (ID number, name); None when the table has no such field
FIELDS = {
    ("police", "suspects"): ("sfzh", "xm"),
    ("procuratorate", "arrest_reviews"): ("犯罪嫌疑人身份证号", "犯罪嫌疑人姓名"),
    ("procuratorate", "prosecution_reviews"): ("犯罪嫌疑人身份证号", "犯罪嫌疑人姓名"),
    ("court", "judgments"): ("id_no", "name"),
    ("court", "enforcement"): ("defendant_id_no", None),
    ("justice", "community_corrections"): ("person_id_no", "person_name"),
    ("justice", "custody_events"): ("person_id_no", None),
}


@pytest.mark.parametrize(("start", "months", "end"), [
    ("2022-02-28", 1, "2022-03-31"),  # month end → month end (the warehouse's var)
    ("2022-01-31", 1, "2022-02-28"),  # no 31st in February: its last day
    ("2024-01-31", 1, "2024-02-29"),
    ("2022-04-30", 1, "2022-05-31"),
    ("2022-03-30", 1, "2022-04-30"),  # not a month end: same day
    ("2022-03-15", 2, "2022-05-15"),
    ("2022-11-30", 3, "2023-02-28"),
])
def test_months_count_month_end_to_month_end(start, months, end):
    assert add_months(dt.date.fromisoformat(start), months) == dt.date.fromisoformat(end)


def test_without_the_month_end_rule_the_same_day_is_kept():
    assert add_months(dt.date(2022, 2, 28), 1, month_end_to_month_end=False) == \
        dt.date(2022, 3, 28)


@given(st.dates(dt.date(2019, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 14))
def test_month_arithmetic_properties(start, months):
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    start_is_month_end = (start + dt.timedelta(days=1)).month != start.month
    end_is_month_end = (end + dt.timedelta(days=1)).month != end.month
    if start_is_month_end:
        assert end_is_month_end
    else:
        assert end.day == start.day or (end_is_month_end and end.day < start.day)


def test_generator_and_warehouse_agree_on_the_month_end_rule():
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml")
                             .read_text(encoding="utf-8"))
    assert project["vars"]["cpl_105_month_end_to_month_end"] is MONTH_END_TO_MONTH_END


@pytest.fixture(scope="module")
def world():
    return build_world(1200, 20, 11, 0.02, START)


def _emitted(case, last: dt.date) -> dict[tuple[str, str], list[object]]:
    """Every record version of one case the departments deliver by ``last``."""
    out: dict[tuple[str, str], list[object]] = defaultdict(list)

    def emit(source: str, table: str, versions: list) -> None:
        out[(source, table)] += [row for day, row in versions if day <= last]

    clock = records.Clock(random.Random(0))
    if not case.self_investigated:
        records.police(case, emit, clock)
    records.procuratorate(case, emit, clock, _iso)
    records.court(case, emit, clock)
    records.justice(case, emit, clock)
    return out


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _review_versions(pc) -> list[tuple[dt.date, dict]]:
    """The person's prosecution-review versions as the procuratorate delivers them."""
    versions: list[tuple[dt.date, dict]] = []

    def emit(source: str, table: str, rows: list) -> None:
        if table == "prosecution_reviews":
            versions.extend(rows)

    records.procuratorate(pc.case, emit, records.Clock(random.Random(0)), _iso)
    delivered_id = records._id(pc, "procuratorate")
    return [(d, r) for d, r in versions if r["犯罪嫌疑人身份证号"] == delivered_id]


def test_an_approved_review_extension_is_delivered_while_the_review_is_open(world):
    extended = [pc for pc in world.person_cases
                if pc.prosecution is not None and pc.prosecution.extended]
    assert extended, "no extended prosecution review in this world"
    for pc in extended:
        pr = pc.prosecution
        base = pr.returns[-1][1] if pr.returns else pr.received
        assert base < pr.extended_on < pr.concluded
        assert pr.extended_on <= deadline(base, months=1, in_custody=True)  # inside the month
        mine = _review_versions(pc)
        approval = [r for d, r in mine if d == pr.extended_on]
        assert approval and approval[0]["延长审查期限"] == "是" and approval[0]["审结日期"] == ""
        assert [r["延长审查期限"] for d, r in mine if d < pr.extended_on] == [""]
        assert all(r["延长审查期限"] == "是" for d, r in mine if d > pr.extended_on)


def test_identity_errors_are_injected_only_where_the_warehouse_sees_them(world):
    damaged = [(pc, dept, kind) for pc in world.person_cases for dept, kind in pc.damage
               if kind in MISMATCH]
    assert len({kind for _, _, kind in damaged}) == len(MISMATCH)
    for pc, dept, kind in damaged:
        assert dept != "police"
        field = 1 if kind == "name_typo" else 0
        wrong = (pc.name_as_delivered if field else pc.id_as_delivered)[dept]
        delivered = set()
        for (source, table), rows in _emitted(pc.case, world.last).items():
            column = FIELDS.get((source, table), (None, None))[field]
            if source != dept or column is None:
                continue
            for row in rows:
                attrs, people = row if isinstance(row, tuple) else (row, None)
                for person in people or [attrs]:
                    delivered.add(person.get(column))
        assert wrong in delivered, (pc.key, dept, kind)


def test_a_suspect_never_prosecuted_has_no_court_row(world):
    for pc in world.person_cases:
        if pc.sentence is None:
            assert "court" not in carrying_departments(pc, world.last, "id_number")
        if pc.correction is None:
            assert "justice" not in carrying_departments(pc, world.last, "name")
