"""What each Airflow task does: one call into the package, imported lazily (fast parsing).

Every function takes and returns only small, PII-free values (paths, ids, counts): they
travel through XCom, which the security report scans.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared_exchange.config import load_settings

log = logging.getLogger(__name__)


def business_date(logical_date: Any) -> str | None:
    """The run's business date in Asia/Shanghai (Airflow's `ds` is the UTC date)."""
    if logical_date is None:
        return None
    import pendulum

    return pendulum.instance(logical_date).in_timezone("Asia/Shanghai").date().isoformat()


# -- ingestion ---------------------------------------------------------------------------------


def discover_batches(source: str, up_to: str | None = None) -> list[str]:
    """Batch folders of ``source`` not loaded yet, oldest business date first."""
    from datetime import date

    from shared_exchange.ingest.load import discover_batches as discover

    limit = date.fromisoformat(up_to) if up_to else None
    refs = discover(load_settings(), source, up_to=limit)
    return [str(getattr(ref, "path", ref)) for ref in refs]


def ingest_batch(batch_path: str) -> dict[str, Any]:
    """Load one batch (idempotent per batch id) and return its ledger counts."""
    from shared_exchange.ingest.load import ingest_batch as ingest

    result = ingest(load_settings(), Path(batch_path))
    summary = result.to_summary() if hasattr(result, "to_summary") else dict(vars(result))
    return {k: v for k, v in summary.items() if isinstance(v, str | int | float | bool | None)}


def gate_raw(source: str, batches: list[dict[str, Any]], run_id: str | None) -> dict[str, Any]:
    """Raw-layer gate for the batches this run loaded; raises GateFailed to stop the run."""
    from shared_exchange.quality.gates import gate_raw as gate

    batch_ids = [b["batch_id"] for b in batches if b.get("status") == "loaded"]
    result = gate(load_settings(), source, batch_ids, run_id=run_id)
    return result.to_summary() if hasattr(result, "to_summary") else {"passed": True}


# -- warehouse ---------------------------------------------------------------------------------


def start_build(run_id: str) -> dict[str, Any]:
    """A new warehouse version, a copy of the published one (incremental models stay so)."""
    from shared_exchange.quality.publish import start_build as start
    from shared_exchange.warehouse.dbt import build_digest

    settings = load_settings()
    build = start(settings, run_id, project_digest=build_digest(settings))
    return {"version": build.version, "path": str(build.path), "run_id": run_id,
            "base_version": build.base_version, "full_refresh": build.full_refresh}


def dbt_step(build: dict[str, str], args: list[str]) -> None:
    """Run one dbt command against the build's DuckDB file, as the build needs it
    (shared_exchange.warehouse.dbt.build_command: a full refresh when the project changed
    since the base build; no seeds reloaded into a base that has them)."""
    from shared_exchange.warehouse.dbt import build_command, run_dbt

    command = build_command(args, full_refresh=bool(build.get("full_refresh")),
                            from_base=bool(build.get("base_version")))
    if command is None:
        log.info("dbt %s: nothing to do, base build %s has it", args[0], build["base_version"])
        return
    run_dbt(command, load_settings(), Path(build["path"]))


def dbt_build(build: dict[str, str], select: Sequence[str]) -> None:
    """Build one layer: its models, seeds and data tests (shared_exchange.warehouse.dbt.BUILD)."""
    from shared_exchange.warehouse.dbt import BUILD

    dbt_step(build, [*BUILD, "--select", *select])


def gate_layer(build: dict[str, str], layer: str) -> dict[str, Any]:
    """GE gate over one built layer; raises GateFailed (suite, expectation, keys) to block."""
    from shared_exchange.quality.gates import gate_layer as gate

    result = gate(load_settings(), layer, Path(build["path"]), run_id=build["run_id"])
    return result.to_summary() if hasattr(result, "to_summary") else {"passed": True}


def check_classification(build: dict[str, str]) -> int:
    """Every column tagged, no column below its lineage (就高从严); raise otherwise."""
    from shared_exchange.security.build_checks import enforce_classification

    return enforce_classification(load_settings(), Path(build["path"]))


def publish(build: dict[str, str]) -> str:
    """Switch the published pointer to this build in one atomic step."""
    from shared_exchange.quality.publish import publish as do_publish

    do_publish(load_settings(), build)
    return build["version"]


def prepare_next_build() -> str | None:
    """Copy the version just published for the next build to start from: the copy is then
    made while the marts are served, not on the next day's way to them."""
    from shared_exchange.quality.publish import prepare_next

    spare = prepare_next(load_settings())
    return str(spare) if spare else None


def security_report(as_of: str | None) -> str:
    """Write the officers' report for the run's date (HTML + JSON); return the HTML path."""
    from datetime import date

    from shared_exchange.reports.security import build_security_report

    when = date.fromisoformat(as_of) if as_of else None
    return str(build_security_report(load_settings(), period="daily", as_of=when).html)


def alert_on_failure(context: dict[str, Any]) -> None:
    """Airflow failure callback: a clear alert line (and webhook, if configured)."""
    from shared_exchange.quality.alerts import on_failure_alert

    on_failure_alert(context)
