"""The environment Airflow runs in: its home, DAG folder and SQLite metadata under SHARED_EXCHANGE_HOME."""

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


def ensure_airflow_db(settings: Settings) -> None:
    """Create or migrate the SQLite metadata database once per home (idempotent)."""
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    marker = home / ".migrated"
    if marker.exists():
        return
    log.info("migrating Airflow metadata database in %s", home)
    out = subprocess.run(
        [airflow_bin(), "db", "migrate"],
        env=airflow_environ(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"`airflow db migrate` failed in {home}:\n{out.stderr[-2000:]}")
    marker.write_text("ok\n")
