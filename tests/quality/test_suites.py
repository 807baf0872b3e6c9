"""The suites in expectations/: in step with the contracts, loadable by GX, parameters computed."""

from __future__ import annotations

import json

import pytest

from shared_exchange.quality import contract_suites
from shared_exchange.quality.suites import (
    EXPECTATIONS_DIR,
    SuiteError,
    datasets,
    ledger_parameters,
    load_suite,
    restricted_models,
    to_gx_suite,
    volume_parameters,
)

ALL = sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json") if not p.name.startswith("_"))


@pytest.mark.parametrize("layer", sorted(contract_suites.RENDERERS))
@pytest.mark.parametrize("source", contract_suites.SOURCES)
def test_contract_suites_match_the_contracts(layer, source):
    on_disk = json.loads((EXPECTATIONS_DIR / f"{layer}_{source}.json").read_text("utf-8"))
    assert on_disk == contract_suites.RENDERERS[layer](source), (
        "regenerate with: python -m shared_exchange.quality.contract_suites")


@pytest.mark.parametrize("dataset", ALL)
def test_every_suite_loads_into_gx(dataset):
    spec = load_suite(dataset)
    assert spec.meta["dataset"] == dataset and spec.keys
    for table in spec.tables:
        suite = to_gx_suite(spec, table)
        assert len(suite.expectations) == len(spec.for_table(table)) > 0


def test_every_mart_is_gated_and_restricted_models_are_marts():
    config = restricted_models()
    marts = set(datasets("marts"))
    assert set(config.marts) <= marts
    assert config.restricted < set(config.marts)
    assert not {m for m in config.marts if m.startswith("scoreboard")} & config.restricted
    for layer in ("raw", "staging"):
        assert len(datasets(layer)) == 4


def test_volume_parameters_bound_change_against_published():
    spec = load_suite("person_cases")
    assert volume_parameters(spec, None) == {"min_rows": 0, "max_rows": None}
    bounds = volume_parameters(spec, 1000)
    assert bounds["min_rows"] == 800 and bounds["max_rows"] == 4001
    assert bounds["min_rows"] > 500  # a 50% drop is outside


def test_ledger_parameters_sum_loaded_rows_per_table():
    ledgers = [{"files": [{"table": "cases", "loaded": 3}, {"table": "measures", "loaded": 0}]},
               {"files": [{"table": "cases", "loaded": 4}]}]
    assert ledger_parameters(ledgers) == {"cases_loaded_rows": 7, "measures_loaded_rows": 0}


def test_malformed_suite_is_named(tmp_path):
    (tmp_path / "broken.json").write_text('{"name": "broken", "expectations": [{"type": "x"}]}')
    with pytest.raises(SuiteError, match="meta.check"):
        load_suite("broken", tmp_path)
    with pytest.raises(SuiteError, match="no suite"):
        load_suite("absent", tmp_path)
