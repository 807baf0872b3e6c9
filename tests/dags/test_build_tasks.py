"""The build DAG's dbt steps: production args, and a full refresh after a project change."""

from __future__ import annotations

import pytest

from shared_exchange.orchestration import tasks


@pytest.fixture
def calls(monkeypatch, tmp_path):
    monkeypatch.setenv("SHARED_EXCHANGE_HOME", str(tmp_path / "home"))
    seen: list[list[str]] = []
    # argument plumbing only: the real dbt runs in tests/warehouse and tests/integration
    monkeypatch.setattr("shared_exchange.warehouse.dbt.run_dbt",
                        lambda args, settings, db: seen.append(list(args)))
    return seen


def test_layers_build_without_unit_tests(calls):
    tasks.dbt_build({"path": "b.duckdb"}, ["path:models/staging"])
    assert calls == [["build", "--exclude-resource-type", "unit_test",
                      "--select", "path:models/staging"]]


def test_a_changed_project_rebuilds_in_full(calls):
    tasks.dbt_build({"path": "b.duckdb", "full_refresh": True}, ["staging"])
    tasks.dbt_step({"path": "b.duckdb", "full_refresh": True}, ["seed"])
    assert calls[0][-1] == "--full-refresh"
    assert calls[1] == ["seed"]  # seeds are reloaded anyway
