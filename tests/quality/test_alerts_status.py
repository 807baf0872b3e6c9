"""Failure alerts (file and webhook) and the status view."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

from rich.console import Console

from shared_exchange.quality import publish as pub
from shared_exchange.quality.alerts import alerts_path, on_failure_alert
from shared_exchange.quality.engine import Failure
from shared_exchange.quality.gates import GateFailed, GateResult
from shared_exchange.quality.runs import record_gate
from shared_exchange.quality.status import collect_status, render_status


def _gate_failed(run_id: str = "scheduled__2022-03-02") -> GateFailed:
    failure = Failure(check="key_unique", expectation="expect_column_values_to_be_unique",
                      table="", column="person_case_id", severity="critical",
                      unexpected_count=2, sample_keys=[{"person_case_id": "pc-7"}] * 2)
    return GateFailed([GateResult(dataset="person_cases", suite="person_cases.json",
                                  layer="marts", run_id=run_id, success=False, evaluated=9,
                                  rows={"person_cases": 61}, failures=[failure])])


def _context(exc: BaseException) -> dict:
    ti = SimpleNamespace(dag_id="build_warehouse", task_id="gate_marts", try_number=2,
                         run_id="scheduled__2022-03-02", log_url="http://airflow/log")
    return {"task_instance": ti, "dag": SimpleNamespace(dag_id="build_warehouse"),
            "run_id": "scheduled__2022-03-02", "exception": exc}


def test_gate_failure_alert_names_the_cause(settings):
    alert = on_failure_alert(_context(_gate_failed()), settings)
    line = json.loads(alerts_path(settings).read_text("utf-8").splitlines()[-1])
    assert line == {k: v for k, v in alert.items() if k != "webhook_delivered"}
    assert line["kind"] == "gate_failed" and line["task_id"] == "gate_marts"
    failure = line["gate_failures"][0]
    assert (failure["suite"], failure["check"], failure["dataset"]) == (
        "person_cases.json", "key_unique", "person_cases")
    assert failure["sample_keys"][0] == {"person_case_id": "pc-7"}
    assert line["data_docs"].endswith("data_docs/scheduled__2022-03-02/index.html")


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_receives_alert_and_a_dead_webhook_is_not_fatal(settings):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    hooked = type(settings)(home=settings.home,
                            alert_webhook=f"http://127.0.0.1:{server.server_port}/alerts")
    alert = on_failure_alert(_context(RuntimeError("dbt failed")), hooked)
    thread.join(10)
    server.server_close()
    assert alert["webhook_delivered"] is True
    assert _Hook.received[-1]["error"] == "dbt failed"
    assert _Hook.received[-1]["kind"] == "task_failed"

    dead = type(settings)(home=settings.home, alert_webhook=f"http://127.0.0.1:{server.server_port}/")
    assert on_failure_alert(_context(RuntimeError("again")), dead)["webhook_delivered"] is False
    assert len(alerts_path(settings).read_text().splitlines()) == 2


def test_status_shows_runs_gates_version_quarantine_and_late(settings):
    build = pub.start_build(settings, "run-a")
    import duckdb

    duckdb.connect(str(build.path)).close()
    pub.publish(settings, build, require_gates=False)
    record_gate(settings, "run-b", _gate_failed("run-b").results[0].to_dict())
    ledger = settings.ledger / "court"
    ledger.mkdir(parents=True)
    (ledger / "court-20220301-01.json").write_text(json.dumps({
        "source": "court", "batch_id": "court-20220301-01", "business_date": "2022-03-01",
        "status": "loaded", "extracted_at": "2022-03-05T00:00:00+08:00", "files": [],
        "quarantine_reasons": {"bad_date": 3, "required_missing": 1}}))

    status = collect_status(settings)
    assert status["published_version"] == "run-a"
    runs = {r["run_id"]: r for r in status["last_runs"]}
    assert runs["run-b"]["gates_failed"] == ["person_cases"]
    assert "key_unique" in runs["run-b"]["failures"][0]
    assert status["quarantine"] == {"court": {"bad_date": 3, "required_missing": 1}}
    late = {d["department"]: d["status"] for d in status["late_departments"]}
    assert late == {"court": "late", "police": "missing", "procuratorate": "missing",
                    "justice": "missing"}
    console = Console(record=True, width=200)
    console.print(render_status(status))
    text = console.export_text()
    for needle in ("run-a", "run-b", "person_cases", "bad_date", "late"):
        assert needle in text
