"""Scoreboard rates on generated data land in domain.md §4's national reference ranges."""

from __future__ import annotations

import pytest

from shared_exchange.warehouse.plausibility import IndicatorRate, indicator_rates

pytestmark = pytest.mark.integration


def test_generated_rates_are_plausible(tmp_path):
    from shared_exchange import SOURCES
    from shared_exchange.config import load_settings
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.synth import generate
    from shared_exchange.warehouse.dbt import BUILD, run_dbt

    settings = load_settings(tmp_path / "home")
    # large enough that a rate's sampling error (≈ 0.6 point) is small next to the ranges
    generate(settings, persons=6000, days=60, seed=3)
    for source in SOURCES:
        ingest_source(settings, source)
    db = tmp_path / "rates.duckdb"
    run_dbt(list(BUILD), settings, db)
    rates = indicator_rates(db)
    assert {r.indicator for r in rates} == {"non_prosecution_rate", "pretrial_detention_rate",
                                            "plea_rate", "recommendation_adoption_rate"}
    implausible = [f"{r.indicator} {r.rate:.3f} ∉ [{r.low}, {r.high}]" for r in rates
                   if r.denominator < 1000 or not r.plausible]
    assert not implausible, implausible


def test_a_rate_outside_its_range_is_flagged():
    assert not IndicatorRate("pretrial_detention_rate", 23, 100, 0.27, 0.43).plausible
    assert IndicatorRate("pretrial_detention_rate", 30, 100, 0.27, 0.43).plausible
    assert not IndicatorRate("plea_rate", 0, 0, 0.85, 1.0).plausible  # nothing counted
