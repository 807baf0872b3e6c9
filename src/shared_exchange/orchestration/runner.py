"""`shared-exchange run`: the whole pipeline through real Airflow (`airflow dags test`).

The four ingestion DAGs run in parallel processes (each writes only its own per-batch
files), then the warehouse DAG builds, gates and publishes. The logical date is the newest
business date found in the landing zone, so a run is a function of the data, never of now().
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shared_exchange import SOURCES
from shared_exchange.config import Settings
from shared_exchange.orchestration.airflow_env import (
    airflow_bin,
    airflow_environ,
    ensure_airflow_db,
    register_dags,
)

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass
class DagRunResult:
    dag_id: str
    logical_date: str
    returncode: int
    seconds: float
    log_path: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class PipelineRun:
    logical_date: str
    dag_runs: list[DagRunResult] = field(default_factory=list)
    built: bool = False

    @property
    def ok(self) -> bool:
        return self.built and all(r.ok for r in self.dag_runs)


def latest_business_date(settings: Settings) -> date | None:
    """The newest `<business_date>` folder in any department's landing zone."""
    dates = []
    for source in SOURCES:
        for folder in (settings.landing / source).glob("*"):
            try:
                dates.append(date.fromisoformat(folder.name))
            except ValueError:
                continue
    return max(dates) if dates else None


def _start_dag(settings: Settings, dag_id: str, logical_date: str) -> tuple[subprocess.Popen, Path]:
    log_dir = settings.logs / "dag_runs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{dag_id}-{logical_date}.log"
    handle = log_path.open("w")
    proc = subprocess.Popen(
        [airflow_bin(), "dags", "test", dag_id, logical_date],
        env=airflow_environ(settings),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return proc, log_path


def run_dags(settings: Settings, dag_ids: list[str], logical_date: str) -> list[DagRunResult]:
    """Run DAGs in parallel processes with real Airflow and wait for all of them."""
    started = time.perf_counter()
    running = [(dag_id, *_start_dag(settings, dag_id, logical_date)) for dag_id in dag_ids]
    results = []
    for dag_id, proc, log_path in running:
        rc = proc.wait()
        results.append(
            DagRunResult(dag_id, logical_date, rc, time.perf_counter() - started, log_path)
        )
        if rc != 0:
            log.error("DAG %s failed for %s; see %s", dag_id, logical_date, log_path)
    return results


def prepare(settings: Settings) -> None:
    """State every DAG relies on before they start in parallel: folders, keyring, Airflow DB."""
    from shared_exchange.security import open_keyring

    for folder in (settings.landing, settings.raw, settings.logs, settings.reports):
        folder.mkdir(parents=True, exist_ok=True)
    open_keyring(settings)  # created once here, not raced by four ingestion processes
    ensure_airflow_db(settings)
    register_dags(settings)


def run_pipeline(
    settings: Settings, *, logical_date: date | None = None, progress: Progress | None = None
) -> PipelineRun:
    """Ingest every pending batch, then build, gate and publish the warehouse."""
    say = progress or (lambda _msg: None)
    prepare(settings)
    when = logical_date or latest_business_date(settings)
    if when is None:
        raise FileNotFoundError(
            f"no batches in {settings.landing}: run `shared-exchange synth` or deliver batches "
            "as landing/<source>/<business_date>/<batch_id>/"
        )
    run = PipelineRun(logical_date=when.isoformat())
    say(f"ingesting four departments up to {run.logical_date} (Airflow, in parallel)")
    run.dag_runs += run_dags(settings, [f"ingest_{s}" for s in SOURCES], run.logical_date)
    failed = [r.dag_id for r in run.dag_runs if not r.ok]
    if failed:
        say(f"ingestion failed for {', '.join(failed)}: warehouse not rebuilt, last version stays")
        return run
    say("building, gating and publishing the warehouse (Airflow)")
    run.dag_runs += run_dags(settings, ["build_warehouse"], run.logical_date)
    run.built = run.dag_runs[-1].ok
    return run
