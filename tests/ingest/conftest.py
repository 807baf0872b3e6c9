"""Fixtures for ingestion tests: a fresh SHARED_EXCHANGE_HOME (and keyring) per test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared_exchange.config import Settings, load_settings

sys.path.insert(0, str(Path(__file__).parent))  # tests/ingest/builders.py


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "home")
