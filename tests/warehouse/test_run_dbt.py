"""run_dbt sets the environment for one invocation and names the failing nodes."""

from __future__ import annotations

import os

import duckdb
import pytest

from shared_exchange.warehouse.dbt import BUILD_LINK, DbtRunError, run_dbt

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


def test_builds_in_other_files_keep_dbt_parse(home, tmp_path):
    """dbt opens every build through one hard link, so a new build file is no new profile:
    the second invocation parses only what changed, and the first build's file keeps its
    versioned name and data once the link is gone."""
    run_dbt(["seed", "--select", "charges"], home, tmp_path / "a.duckdb")
    run_dbt(["seed", "--select", "charges"], home, tmp_path / "b.duckdb")
    log = (home.warehouse / "dbt" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in log[log.rindex("Running with dbt"):]
    assert not (home.warehouse / "dbt" / BUILD_LINK).exists()
    with duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from seeds.charges").fetchone()[0] > 0
