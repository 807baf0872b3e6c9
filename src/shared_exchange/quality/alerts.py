"""Airflow failure callback: one clear alert line in ``logs/alerts.jsonl`` and, if configured, a
webhook POST (``SHARED_EXCHANGE_ALERT_WEBHOOK``). A gate failure's alert names suite, check,
dataset and sample keys (tokens and row ids only); other errors are cut short, since an
exception text is not ours to vouch for.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared_exchange.config import Settings, load_settings
from shared_exchange.quality.storage import utc_now

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5
MAX_ERROR_CHARS = 2000


def alerts_path(settings: Settings) -> Path:
    return settings.logs / "alerts.jsonl"


def _attr(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def build_alert(context: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """The alert for one failed Airflow task, from its callback context."""
    from shared_exchange.quality import runs
    from shared_exchange.quality.gates import GateFailed

    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    run_id = context.get("run_id") or _attr(dag_run, "run_id") or _attr(ti, "run_id")
    alert: dict[str, Any] = {
        "time": utc_now(),
        "kind": "gate_failed" if isinstance(exc, GateFailed) else "task_failed",
        "dag_id": _attr(context.get("dag"), "dag_id") or _attr(ti, "dag_id")
        or _attr(dag_run, "dag_id"),
        "task_id": _attr(ti, "task_id") or _attr(context.get("task"), "task_id"),
        "run_id": run_id,
        "try_number": _attr(ti, "try_number"),
        "error_type": type(exc).__name__ if isinstance(exc, BaseException) else None,
        "error": str(exc)[:MAX_ERROR_CHARS] if exc is not None else None,
        "log_url": _attr(ti, "log_url"),
    }
    if isinstance(exc, GateFailed):
        alert["gate_failures"] = exc.details
        gate_run = exc.results[0].run_id
        alert["run_summary"] = str(runs.run_path(settings, gate_run))
        alert["data_docs"] = str(runs.docs_dir(settings, gate_run) / "index.html")
    elif run_id and runs.run_path(settings, str(run_id)).exists():
        alert["run_summary"] = str(runs.run_path(settings, str(run_id)))
    return alert


def write_alert(settings: Settings, alert: Mapping[str, Any]) -> Path:
    """Append one JSON line; concurrent tasks never interleave their lines."""
    path = alerts_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(alert, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
    finally:
        os.close(fd)
    return path


def post_webhook(url: str, alert: Mapping[str, Any]) -> bool:
    """POST the alert as JSON; a failing webhook is logged, never raised."""
    body = json.dumps(alert, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            return 200 <= response.status < 300
    except Exception as exc:  # noqa: BLE001 - any webhook failure is only worth a log line
        log.warning("alert webhook failed (%s): %s", type(exc).__name__, exc)
        return False


def on_failure_alert(context: Mapping[str, Any], settings: Settings | None = None) -> dict:
    """Airflow ``on_failure_callback``: write the alert (and POST it if a webhook is set)."""
    settings = settings or load_settings()
    alert = build_alert(context, settings)
    write_alert(settings, alert)
    log.error("ALERT %s.%s run %s: %s", alert["dag_id"], alert["task_id"], alert["run_id"],
              (alert["error"] or "").splitlines()[0] if alert["error"] else alert["kind"])
    if settings.alert_webhook:
        alert["webhook_delivered"] = post_webhook(settings.alert_webhook, alert)
    return alert
