"""The real ingestion DAG under a scheduler with LocalExecutor and a PostgreSQL metadata DB.

This is the multi-process shape of a production deployment on one machine: api-server
(execution API), scheduler (LocalExecutor workers), dag-processor, the cluster policy and
pools from ``deploy/airflow``, and PostgreSQL instead of SQLite. A manual run of
``ingest_police`` is triggered with the CLI and must succeed, in the department's pool,
with every delivered row accounted for in the ledger.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_exchange.config import PROJECT_ROOT, Settings, load_settings
from shared_exchange.orchestration.airflow_env import airflow_bin, airflow_environ

pytest.importorskip("airflow")
pytest.importorskip("asyncpg", reason="Airflow's async metadata engine needs asyncpg")
pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

DEPLOY = PROJECT_ROOT / "deploy" / "airflow"
DAG_ID = "ingest_police"
RUN_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environ(settings: Settings, pg, api_port: int) -> dict[str, str]:
    """The deployment's Airflow environment, moved to LocalExecutor + PostgreSQL."""
    return {
        **airflow_environ(settings),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.url("airflow", user="airflow"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        # generated per test run, shared by api-server and scheduler (never in a file)
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    }


def _airflow(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    out = subprocess.run([airflow_bin(), *args], env=env, capture_output=True, text=True,
                         timeout=timeout, check=False)
    assert out.returncode == 0, f"`airflow {' '.join(args)}` failed:\n{out.stderr[-3000:]}"
    return out.stdout


class Components:
    """Long-running Airflow processes; stopped with every descendant (task workers too)."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs, self.procs = env, logs, {}
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("w") as out:
            self.procs[name] = subprocess.Popen([airflow_bin(), *args], env=self.env,
                                                stdout=out, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        import psutil

        family = []
        for proc in self.procs.values():
            try:
                parent = psutil.Process(proc.pid)
                family += [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        for p in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(family, timeout=15)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        for proc in self.procs.values():
            proc.wait(timeout=10)


def _wait(what: str, check, timeout: float, components: Components, log: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in components.procs.items():
            assert proc.poll() is None, f"{name} exited early:\n{components.tail(name)}"
        value = check()
        if value:
            return value
        time.sleep(2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}:\n{components.tail(log)}")


def _api_up(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/version", timeout=3) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture
def deployment(postgres_server, tmp_path) -> Iterator[tuple[Settings, dict, Components]]:
    from shared_exchange.security import open_keyring
    from shared_exchange.synth import generate

    settings = load_settings(tmp_path / "home")
    generate(settings, persons=20, days=2, seed=7)
    open_keyring(settings)  # made once here, as `shared-exchange run` does before the DAGs
    (settings.airflow_home / "config").mkdir(parents=True)
    # the Helm chart mounts the same file at $AIRFLOW_HOME/config (airflowLocalSettings)
    shutil.copy(DEPLOY / "airflow_local_settings.py", settings.airflow_home / "config")
    created = postgres_server.run_sql_file(PROJECT_ROOT / "deploy" / "postgres" / "init.sql",
                                           airflow_password=secrets.token_urlsafe(24))
    assert created.returncode == 0, f"deploy/postgres/init.sql failed: {created.stderr}"
    env = _environ(settings, postgres_server, free_port())
    _airflow(env, "db", "migrate")
    _airflow(env, "pools", "import", str(DEPLOY / "pools.json"))
    components = Components(env, tmp_path / "component-logs")
    try:
        yield settings, env, components
    finally:
        components.stop()


def test_ingest_dag_runs_under_local_executor_with_postgres(deployment, postgres_server):
    settings, env, components = deployment
    pg, port = postgres_server, int(env["AIRFLOW__API__PORT"])
    components.start("api-server", "api-server")
    _wait("the api-server", lambda: _api_up(port), 120, components, "api-server")
    components.start("dag-processor", "dag-processor")
    components.start("scheduler", "scheduler")
    _wait(f"{DAG_ID} to be parsed", lambda: pg.query(
        "airflow", "SELECT 1 FROM serialized_dag WHERE dag_id = %s", (DAG_ID,)),
        120, components, "dag-processor")

    # A manual run for the last business date, then unpause: the scheduler also creates the
    # latest cron run (catchup=False). max_active_runs=1 runs them one after the other; the
    # first loads every pending batch, the second finds none (a batch id loads once).
    day = max(p.name for p in (settings.landing / "police").iterdir())
    manual = f"manual__deploy_test_{day}"
    _airflow(env, "dags", "trigger", DAG_ID, "-l", f"{day}T03:00:00+08:00", "-r", manual)
    _airflow(env, "dags", "unpause", DAG_ID)

    def runs() -> list[tuple]:
        return pg.query("airflow", "SELECT run_id, run_type, state, start_date, end_date "
                        "FROM dag_run WHERE dag_id = %s ORDER BY start_date", (DAG_ID,))

    def all_finished() -> list[tuple] | None:
        found = runs()
        done = [r for r in found if r[2] in ("success", "failed")]
        return found if len(found) >= 2 and len(done) == len(found) else None

    finished = _wait("both runs", all_finished, RUN_TIMEOUT, components, "scheduler")
    tis = pg.query("airflow", "SELECT run_id, task_id, map_index, state, pool FROM task_instance "
                   "WHERE dag_id = %s ORDER BY run_id, task_id, map_index", (DAG_ID,))
    assert {r[1] for r in finished} == {"manual", "scheduled"}, finished
    assert all(r[2] == "success" for r in finished), f"{finished}\n{tis}"
    assert finished[0][4] <= finished[1][3], "max_active_runs=1: runs must not overlap"

    # every task in the department's pool (the cluster policy), run through LocalExecutor
    assert {t[4] for t in tis} == {"ingest_police"}, tis
    assert all(t[3] in ("success", "skipped") for t in tis), tis
    queued_by = pg.query("airflow", "SELECT DISTINCT j.job_type FROM task_instance t JOIN job j "
                         "ON j.id = t.queued_by_job_id WHERE t.dag_id = %s", (DAG_ID,))
    assert queued_by == [("SchedulerJob",)], queued_by
    assert "executor=LocalExecutor" in components.tail("scheduler", 10**7)

    # what the tasks did: one successful mapped load per delivered batch, ledgered and balanced
    batches = sorted(p.name for p in (settings.landing / "police").glob("*/*"))
    loads = [t for t in tis if t[1] == "load_batch" and t[3] == "success"]
    assert len(loads) == len(batches), tis
    assert len({t[0] for t in loads}) == 1, "all batches load in the first run, none twice"
    gates = [t for t in tis if t[1] == "gate_raw" and t[3] == "success"]
    assert [t[0] for t in gates] == [loads[0][0]], tis
    delivered = 0
    for batch_id in batches:
        entry = json.loads((settings.ledger / "police" / f"{batch_id}.json").read_text())
        assert entry["status"] == "loaded", entry["reason"]
        assert entry["delivered"] == entry["loaded"] + entry["quarantined"]
        delivered += entry["delivered"]
    assert delivered > 0
    assert list((settings.raw / "police").glob("*/*.parquet"))
