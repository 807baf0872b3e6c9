"""run_dbt sets the environment for one invocation and names the failing nodes."""

from __future__ import annotations

import os

import pytest

from shared_exchange.warehouse.dbt import DbtRunError, run_dbt

pytestmark = pytest.mark.integration


def test_parse_succeeds_and_restores_the_environment(home, tmp_path, monkeypatch):
    monkeypatch.delenv("SHARED_EXCHANGE_BUILD_DB", raising=False)
    result = run_dbt(["parse"], home, tmp_path / "b.duckdb")
    assert result.success
    assert "SHARED_EXCHANGE_BUILD_DB" not in os.environ
    assert (home.warehouse / "dbt" / "target" / "manifest.json").exists()


def test_a_missing_raw_layer_fails_naming_the_node(home, tmp_path):
    # no ingestion ran: the source glob matches no file, so the staging view cannot bind
    with pytest.raises(DbtRunError) as err:
        run_dbt(["run", "--select", "stg_police__cases"], home, tmp_path / "b.duckdb")
    assert ("model.shared_exchange.stg_police__cases", "error") in err.value.nodes
    assert "stg_police__cases" in str(err.value)
    assert "dbt.log" in str(err.value)
