"""The environment Airflow runs in: home, DAG folder and SQLite metadata under the home."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from shared_exchange.config import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)


def dags_folder() -> Path:
    return Path(os.environ.get("SHARED_EXCHANGE_DAGS_FOLDER", PROJECT_ROOT / "dags"))


def airflow_environ(settings: Settings) -> dict[str, str]:
    """Variables for any `airflow` command that should see this deployment's DAGs and state."""
    home = settings.airflow_home
    return {
        **os.environ,
        "SHARED_EXCHANGE_HOME": str(settings.home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        # DAG files are thin; parsing them must never time out on a busy 2-core machine.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
    }


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def _airflow(settings: Settings, *args: str) -> None:
    out = subprocess.run(
        [airflow_bin(), *args],
        env=airflow_environ(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        tail = (out.stderr or out.stdout)[-2000:]
        raise RuntimeError(f"`airflow {' '.join(args)}` failed in {settings.airflow_home}:\n{tail}")


def ensure_airflow_db(settings: Settings) -> None:
    """Create or migrate the SQLite metadata database once per home (idempotent)."""
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    marker = home / ".migrated"
    if marker.exists():
        return
    log.info("migrating Airflow metadata database in %s", home)
    _airflow(settings, "db", "migrate")
    marker.write_text("ok\n")


def register_dags(settings: Settings) -> None:
    """Serialise every DAG into the metadata DB once, before DAGs run in parallel.

    Otherwise the first parallel `airflow dags test` processes race to insert the same
    `dag` rows into SQLite (UNIQUE constraint failed: dag.dag_id).
    """
    _airflow(settings, "dags", "reserialize")
