"""Fixtures for the warehouse tests: one small synthetic warehouse built through real dbt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from shared_exchange import SOURCES
from shared_exchange.config import Settings, load_settings
from shared_exchange.warehouse.dbt import run_dbt

# The foundation's models and everything upstream (the legal marts are tested by their owner).
CORE_SELECT = ["--select", "+person_cases", "+case_events"]


@dataclass(frozen=True)
class Built:
    settings: Settings
    db: Path


def ingest_all(settings: Settings) -> None:
    from shared_exchange.ingest.load import ingest_source

    for source in SOURCES:
        ingest_source(settings, source)


@pytest.fixture(scope="session")
def core_select() -> list[str]:
    return list(CORE_SELECT)


@pytest.fixture(scope="session")
def synthetic_home(tmp_path_factory) -> Settings:
    """A generated and ingested raw layer (small: ~200 persons over 30 days)."""
    from shared_exchange.synth import generate

    settings = load_settings(tmp_path_factory.mktemp("wh") / "home")
    generate(settings, persons=200, days=30, seed=11)
    ingest_all(settings)
    return settings


@pytest.fixture(scope="session")
def built(synthetic_home: Settings) -> Built:
    db = synthetic_home.warehouse / "builds" / "test.duckdb"
    run_dbt(["build", *CORE_SELECT], synthetic_home, db)
    return Built(synthetic_home, db)
