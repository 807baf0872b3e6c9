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
    build = {"path": "b.duckdb", "base_version": "v1", "full_refresh": True}
    tasks.dbt_build(build, ["staging"])
    tasks.dbt_step(build, ["seed"])
    assert calls[0][-1] == "--full-refresh"
    assert calls[1] == ["seed", "--full-refresh"]  # a seed's columns may have changed too


def test_a_build_from_an_unchanged_base_keeps_its_seeds(calls):
    build = {"path": "b.duckdb", "base_version": "v1", "full_refresh": False}
    tasks.dbt_step(build, ["seed"])
    tasks.dbt_build(build, ["staging"])
    assert calls == [["build", "--exclude-resource-type", "unit_test", "--select", "staging",
                      "--exclude", "resource_type:seed"]]


def test_a_first_build_loads_the_seeds(calls):
    build = {"path": "b.duckdb", "base_version": None, "full_refresh": False}
    tasks.dbt_step(build, ["seed"])
    tasks.dbt_build(build, ["staging"])
    assert calls == [["seed"], ["build", "--exclude-resource-type", "unit_test",
                                "--select", "staging"]]
