"""Fixtures for the quality tests: a fresh home, and small mart builds made at test time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared_exchange.config import Settings, load_settings

sys.path.insert(0, str(Path(__file__).parent))  # tests/quality/marts_builder.py


@pytest.fixture
def settings(tmp_path: Path, monkeypatch) -> Settings:
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("SHARED_EXCHANGE_HOME", str(root))
    return load_settings(root)
