"""The security officers' report: builds on a small home, self-contained, no clear PII."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest

from shared_exchange.audit import AuditLog, publish_head, record_event
from shared_exchange.reports.security import build_security_report

TOP_KEYS = {"report", "schema_version", "generated_at", "home", "period", "summary",
            "event_counts", "accesses", "denied_queries", "policy_changes", "classification",
            "masking_matrix", "keys", "leak_scan", "audit"}


def _fp(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


def _activity(settings) -> None:
    common = {"policy_version": "v1+sha256:0123456789abcdef"}
    record_event(settings, "query.allowed", actor="analyst01", role="analyst",
                 decision="allowed", purpose="scoreboard review", datasets=["scoreboard_daily"],
                 columns=["city", "rate"], masked=False, rows_returned=11,
                 statement_fingerprint=_fp("q1"), **common)
    record_event(settings, "query.denied", actor="analyst02", role="analyst", decision="denied",
                 reason="predicate on masked column id_number", purpose="ad hoc",
                 datasets=["person_cases"], columns=["id_number"],
                 statement_fingerprint=_fp("q2"), **common)
    record_event(settings, "unmask", actor="officer07", role="case_officer", decision="allowed",
                 purpose="case handling", approver="chief03", datasets=["person_cases"],
                 columns=["name"], masked=False, rows_returned=1,
                 statement_fingerprint=_fp("q3"), **common)
    record_event(settings, "sealed_access", actor="officer07", role="case_officer",
                 decision="allowed", purpose="case_handling", datasets=["person_cases"],
                 rows_returned=2, statement_fingerprint=_fp("q4"), **common)


@pytest.fixture
def report(small_home):
    _activity(small_home)
    publish_head(small_home)
    record_event(small_home, "policy.changed", actor="sec01", role="security_officer",
                 decision="allowed", reason="roles.v1 reviewed", **{"policy_version": "v1"})
    paths = build_security_report(small_home, period="daily")
    return small_home, paths


def test_report_files_are_written_under_reports_security_date(report):
    settings, paths = report
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert paths.html == settings.reports / "security" / today.isoformat() / \
        "security-report.html"
    assert paths.html.exists() and paths.json.exists()


def test_json_has_every_section_and_the_facts(report):
    settings, paths = report
    facts = json.loads(paths.json.read_text(encoding="utf-8"))
    assert facts.keys() >= TOP_KEYS
    assert facts["audit"]["available"] and facts["audit"]["verification"]["ok"]
    head = facts["audit"]["head"]
    assert head["tree_size"] == 5 == len(list(AuditLog(settings).events()))
    assert (settings.audit / "heads" / f"{5:012d}.json").exists()
    assert [e["type"] for e in facts["accesses"]] == ["unmask", "sealed_access"]
    assert facts["accesses"][0]["approver"] == "chief03"
    assert [e["actor"] for e in facts["denied_queries"]] == ["analyst02"]
    assert facts["leak_scan"]["available"] and facts["leak_scan"]["clean"]
    assert facts["leak_scan"]["needles"] == {"ids": 20, "phones": 20, "names": 20}
    assert facts["keys"]["available"] and facts["keys"]["records"]
    assert all("material" not in k and "wrapped" not in k for k in facts["keys"]["records"][0])
    assert facts["masking_matrix"]["available"], facts["masking_matrix"]
    roles = facts["masking_matrix"]["roles"]
    by_pi = {row["pi"]: row["forms"] for row in facts["masking_matrix"]["by_pi"]}
    assert "analyst" in roles and by_pi["id_number"]["analyst"] != "clear"
    statuses = {c["name"]: c["status"] for c in facts["summary"]["checks"]}
    assert statuses["audit"] == "green" and statuses["leaks"] == "green"
    assert statuses["accesses"] == "green"


def test_html_is_self_contained_and_has_no_clear_pii(report, people):
    settings, paths = report
    html = paths.html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<style>" in html and "<table" in html
    for label in ("审计日志", "Audit-log verification", "PII-leak scan", "Masking policy matrix",
                  "Key ages", "Denied queries", "Classification coverage"):
        assert label in html
    for text in (html, paths.json.read_text(encoding="utf-8")):
        for p in people:
            assert p.id_number not in text and p.phone not in text and p.name not in text


def test_a_leak_and_a_tampered_log_turn_the_summary_red(small_home, people):
    _activity(small_home)
    publish_head(small_home)
    (small_home.logs / "debug.log").write_text(f"phone={people[3].phone}\n", encoding="utf-8")
    log_file = small_home.audit / "audit.log"
    lines = log_file.read_bytes().splitlines(keepends=True)
    log_file.write_bytes(b"".join(lines[:2] + lines[3:]))  # delete the unmask event
    paths = build_security_report(small_home)
    facts = json.loads(paths.json.read_text(encoding="utf-8"))
    statuses = {c["name"]: c["status"] for c in facts["summary"]["checks"]}
    assert facts["summary"]["status"] == "red"
    assert statuses["audit"] == "red" and statuses["leaks"] == "red"
    assert facts["audit"]["head"] is None  # a failing log is never blessed with a new head
    html = paths.html.read_text(encoding="utf-8")
    assert "chain_broken" in html and "logs/debug.log" in html
    assert people[3].phone not in html


def test_unmask_without_approver_is_flagged(small_home):
    record_event(small_home, "unmask", actor="officer09", role="case_officer",
                 decision="allowed", purpose="case handling", datasets=["person_cases"])
    facts = json.loads(build_security_report(small_home).json.read_text(encoding="utf-8"))
    assert {c["name"]: c["status"] for c in facts["summary"]["checks"]}["accesses"] == "red"


def test_missing_modules_show_not_available(small_home, monkeypatch):
    import shared_exchange.reports.security as security

    def broken() -> dict:
        raise ImportError("shared_exchange.security.policy is not there yet")

    monkeypatch.setattr(security, "_masking_matrix", broken)
    facts = json.loads(build_security_report(small_home).json.read_text(encoding="utf-8"))
    assert facts["masking_matrix"] == {"available": False, "error": "ImportError: "
                                       "shared_exchange.security.policy is not there yet"}
    assert "不可用 Not available" in build_security_report(small_home).html.read_text(
        encoding="utf-8")


def test_monthly_period_and_explicit_date(small_home):
    paths = build_security_report(small_home, period="monthly", as_of=dt.date(2022, 3, 15))
    facts = json.loads(paths.json.read_text(encoding="utf-8"))
    assert paths.html.name == "security-report-monthly.html"
    assert facts["period"]["start"].startswith("2022-03-01")
    assert facts["period"]["end"].startswith("2022-04-01")
    with pytest.raises(ValueError, match="daily"):
        build_security_report(small_home, period="weekly")
