"""The gateway's DuckDB connection has bounded memory, and a query cannot raise the bound."""

from __future__ import annotations

import duckdb
import pytest

from shared_exchange.config import load_settings
from shared_exchange.security.gateway import connect_read_only


def test_memory_limit_comes_from_settings_and_is_locked(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    monkeypatch.setenv("SHARED_EXCHANGE_DUCKDB_MEMORY_LIMIT", "512MB")
    settings = load_settings(tmp_path / "home")
    assert settings.duckdb_memory_limit == "512MB"
    with connect_read_only(db, settings.duckdb_memory_limit) as conn:
        shown = conn.execute("select current_setting('memory_limit')").fetchone()[0]
        assert shown.startswith("488"), shown  # 512 MB in DuckDB's MiB
        with pytest.raises(duckdb.Error):
            conn.execute("set memory_limit = '20GB'")
