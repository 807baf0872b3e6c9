"""The committed dbt source/staging YAML is exactly what the contracts render (no drift)."""

from __future__ import annotations

import re

import yaml

from shared_exchange import SOURCES
from shared_exchange.contracts import all_contracts
from shared_exchange.warehouse.sources import (
    STAGING_DIR,
    render_sources_yaml,
    render_staging_yaml,
    staging_model,
    version_order,
)
from shared_exchange.warehouse.staging_columns import STAGING_EXTRAS

LEVELS = {"core", "important", "general"}


def test_committed_yaml_matches_the_contracts():
    for source in SOURCES:
        folder = STAGING_DIR / source
        assert (folder / f"_{source}__sources.yml").read_text(encoding="utf-8") == (
            render_sources_yaml(source)
        ), f"{source}: run `python -m shared_exchange.warehouse.sources`"
        assert (folder / f"_{source}__models.yml").read_text(encoding="utf-8") == (
            render_staging_yaml(source, STAGING_EXTRAS)
        ), f"{source}: run `python -m shared_exchange.warehouse.sources`"


def test_every_contract_field_is_a_classified_source_column():
    for contract in all_contracts():
        doc = yaml.safe_load(render_sources_yaml(contract.source))
        table = next(t for t in doc["sources"][0]["tables"] if t["name"] == contract.table)
        columns = {c["name"]: c["meta"] for c in table["columns"]}
        for field in contract.fields:
            name = f"{field.column}_enc" if field.encrypted else field.column
            assert name in columns, f"{contract.source}.{contract.table}: {name} missing"
            assert columns[name]["pi"] == field.pi
            expected = "core" if field.encrypted else field.level
            assert columns[name]["level"] == expected
            if field.encrypted:
                assert field.column not in columns, "clear PII column must not exist in raw"
        assert all(m["level"] in LEVELS and m["pi"] for m in columns.values())
        assert "read_parquet(" in table["meta"]["external_location"]
        assert "union_by_name=true" in table["meta"]["external_location"]


def test_each_staging_model_orders_versions_as_its_description_says():
    """The generated description names the version order; the SQL must pass that order to
    current_versions (version_order: the contract's version field or UNVERSIONED_ORDER's)."""
    call = re.compile(r"current_versions\('renamed',\s*business_key(?:,\s*'([^']*)')?\s*\)")
    for contract in all_contracts():
        name = staging_model(contract.source, contract.table)
        sql = (STAGING_DIR / contract.source / f"{name}.sql").read_text(encoding="utf-8")
        passed = {m.group(1) for m in call.finditer(sql)}
        expected, _ = version_order(contract.source, contract.table, contract.version_field)
        assert passed == {expected}, f"{name}: passes {passed}, its description says {expected}"
