"""Run summaries: one JSON per pipeline run with its gates, Data Docs link and publication.

``reports/runs/<run_id>.json`` is what a data engineer opens first when a run fails; it names
every gate, its failed checks with sample keys, and links the run's Data Docs at
``reports/data_docs/<run_id>/index.html`` (an index of each gate's GX Data Docs site).
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

from shared_exchange.config import Settings
from shared_exchange.quality.storage import atomic_write_json, locked, read_json, utc_now

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.=+-]")


def run_slug(run_id: str) -> str:
    """A file-name-safe form of an Airflow run id (``scheduled__2022-03-01T00:00:00+00:00``)."""
    if not run_id:
        raise ValueError("run_id is empty: pass the Airflow run id (or a CLI run name)")
    return _UNSAFE.sub("-", run_id)


def runs_dir(settings: Settings) -> Path:
    return settings.reports / "runs"


def run_path(settings: Settings, run_id: str) -> Path:
    return runs_dir(settings) / f"{run_slug(run_id)}.json"


def docs_dir(settings: Settings, run_id: str, dataset: str | None = None) -> Path:
    root = settings.reports / "data_docs" / run_slug(run_id)
    return root / dataset if dataset else root


def _update(settings: Settings, run_id: str, change) -> dict[str, Any]:
    path = run_path(settings, run_id)
    with locked(runs_dir(settings) / ".lock"):
        run = read_json(path) or {
            "run_id": run_id,
            "created_at": utc_now(),
            "status": "running",
            "gates": {},
            "events": [],
            "data_docs": str(docs_dir(settings, run_id) / "index.html"),
        }
        change(run)
        run["updated_at"] = utc_now()
        atomic_write_json(path, run)
    return run


def record_gate(settings: Settings, run_id: str, gate: dict[str, Any]) -> dict[str, Any]:
    """Add one gate's result to the run summary and refresh the run's Data Docs index."""

    def change(run: dict[str, Any]) -> None:
        run["gates"][gate["dataset"]] = gate
        # a retried gate that now passes lifts the run's failure
        if any(not g["success"] for g in run["gates"].values()):
            run["status"] = "failed"
        elif run["status"] == "failed":
            run["status"] = "running"

    run = _update(settings, run_id, change)
    write_docs_index(settings, run)
    return run


def update_run(settings: Settings, run_id: str, event: str, **fields: Any) -> dict[str, Any]:
    """Record a step of the run (``build_started``, ``published``, ``blocked`` …)."""

    def change(run: dict[str, Any]) -> None:
        run["events"].append({"event": event, "at": utc_now(), **fields})
        if "status" in fields:
            run["status"] = fields["status"]
        for key in ("version", "business_dates"):
            if key in fields:
                run[key] = fields[key]

    return _update(settings, run_id, change)


def load_run(settings: Settings, run_id: str) -> dict[str, Any] | None:
    return read_json(run_path(settings, run_id))


def recent_runs(settings: Settings, limit: int = 10) -> list[dict[str, Any]]:
    """The latest ``limit`` run summaries, newest first."""
    runs = [read_json(p) for p in runs_dir(settings).glob("*.json")]
    runs = [r for r in runs if r]
    runs.sort(key=lambda r: r.get("updated_at", ""), reverse=True)
    return runs[:limit]


def write_docs_index(settings: Settings, run: dict[str, Any]) -> Path:
    """A small HTML page listing the run's gates, each linking to its GX Data Docs site."""
    root = docs_dir(settings, run["run_id"])
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, gate in sorted(run["gates"].items()):
        verdict = "passed" if gate["success"] else "FAILED"
        checks = "<br>".join(html.escape(f["message"]) for f in gate.get("failures", []))
        link = f'<a href="{html.escape(name)}/index.html">{html.escape(name)}</a>'
        rows.append(f"<tr><td>{link}</td><td>{verdict}</td><td>{checks}</td></tr>")
    page = (
        "<!doctype html><meta charset='utf-8'><title>Quality gates "
        f"{html.escape(run['run_id'])}</title><h1>Quality gates — run "
        f"{html.escape(run['run_id'])}</h1><p>Status: {html.escape(run['status'])}</p>"
        "<table border=1 cellpadding=4><tr><th>dataset</th><th>gate</th><th>failed checks"
        "</th></tr>" + "".join(rows) + "</table>"
    )
    index = root / "index.html"
    tmp = index.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(index)
    return index
