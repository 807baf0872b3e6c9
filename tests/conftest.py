"""Shared fixtures: every test gets its own SHARED_EXCHANGE_HOME; keys are made at test time."""

from __future__ import annotations

import pytest

from shared_exchange.config import Settings, load_settings


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    """A fresh, empty deployment home for one test."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("SHARED_EXCHANGE_HOME", str(root))
    return load_settings(root)
