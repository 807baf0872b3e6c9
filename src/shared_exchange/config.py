"""Where every piece of state lives: one home directory, settings from SHARED_EXCHANGE_* variables.

Everything the pipeline writes lives under ``SHARED_EXCHANGE_HOME`` (default
``~/.shared-exchange``); pointing it elsewhere runs the same pipeline on other data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "SHARED_EXCHANGE_HOME"
DEFAULT_HOME = Path("~/.shared-exchange")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SHARED_EXCHANGE_{name}", default)


@dataclass(frozen=True)
class Settings:
    """Resolved locations and choices for one deployment."""

    home: Path
    cipher: str = "aes-256-gcm"  # or "sm4-gcm" (国密)
    token_mac: str = "hmac-sha256"  # or "hmac-sm3"
    keep_versions: int = 5
    alert_webhook: str = ""
    # DuckDB's memory per process (builds, gateway): past it DuckDB spills to disk. The dbt
    # profile reads the same SHARED_EXCHANGE_DUCKDB_MEMORY_LIMIT.
    duckdb_memory_limit: str = "4GB"

    # -- landing zone (exactly as exchange-formats.md lays it out) --
    @property
    def landing(self) -> Path:
        return self.home / "landing"

    # -- raw layer: per-batch Parquet files, ciphertext and tokens only --
    @property
    def raw(self) -> Path:
        return self.home / "raw"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def ledger(self) -> Path:
        return self.home / "ledger"

    # -- warehouse: versioned DuckDB builds and the published pointer --
    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def published_db(self) -> Path:
        return self.warehouse / "published.duckdb"

    @property
    def keys(self) -> Path:
        return self.home / "keys"

    @property
    def audit(self) -> Path:
        return self.home / "audit"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def ground_truth(self) -> Path:
        """What the synthetic generator injected; never exists for real departments."""
        return self.home / "synth" / "ground_truth.json"


def load_settings(home: str | Path | None = None) -> Settings:
    """Settings from the environment; an explicit ``home`` wins over ``SHARED_EXCHANGE_HOME``."""
    root = Path(home or os.environ.get(ENV_HOME) or DEFAULT_HOME).expanduser().resolve()
    return Settings(
        home=root,
        cipher=_env("CIPHER", "aes-256-gcm"),
        token_mac=_env("TOKEN_MAC", "hmac-sha256"),
        keep_versions=int(_env("KEEP_VERSIONS", "5")),
        alert_webhook=_env("ALERT_WEBHOOK", ""),
        duckdb_memory_limit=_env("DUCKDB_MEMORY_LIMIT", "4GB"),
    )
