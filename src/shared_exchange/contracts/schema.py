"""Load and describe the exchange contracts in ``schemas/<source>/<table>.v<N>.yaml``.

The contract is the one place that says, per delivered file, which fields exist, their
canonical column names, types, whether they are required, their classification
(``level``/``pi``) and which ones are encrypted before anything reaches the raw layer.
Parsers, the synthetic generator and the dbt sources are all checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCHEMA_DIR = Path(__file__).with_name("schemas")
FIELD_TYPES = {"string", "date", "datetime", "int", "decimal", "bool", "enum", "id_number"}
LEVELS = ("general", "important", "core")
# pi kinds whose clear value never leaves ingestion: stored as <column>_enc ciphertext only.
PII_ENCRYPTED = frozenset({"id_number", "name", "phone", "address"})


class ContractError(ValueError):
    """A schema file is itself invalid (a project bug, not a department's)."""


@dataclass(frozen=True)
class Field:
    name: str  # as the department delivers it (header, JSON key or XML attribute)
    column: str  # canonical column name in the raw layer
    type: str
    required: bool = False
    level: str = "general"
    pi: str = "none"
    doc: str = ""
    values: tuple[str, ...] = ()
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    pattern: str | None = None
    scope: str = "row"  # xml only: "case" (record element) or "row" (row element)
    optional_column: bool = False  # the column itself may be absent from a delivery

    @property
    def encrypted(self) -> bool:
        return self.pi in PII_ENCRYPTED


@dataclass(frozen=True)
class Contract:
    source: str
    file: str
    table: str
    version: int
    format: str  # jsonl | csv | xml
    encoding: str
    business_key: tuple[str, ...]
    version_field: str | None
    fields: tuple[Field, ...]
    delimiter: str = ","
    quotechar: str = '"'
    root: str | None = None
    record_element: str | None = None
    row_element: str | None = None
    renamed: dict[str, str] = field(default_factory=dict)  # old delivered name -> new name

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @property
    def by_column(self) -> dict[str, Field]:
        return {f.column: f for f in self.fields}

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def _field(raw: dict[str, Any], where: str) -> Field:
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise ContractError(f"{where}: field {raw.get('name')!r} has unknown type {ftype!r}")
    if raw.get("level") not in LEVELS:
        raise ContractError(f"{where}: field {raw.get('name')!r} needs level in {LEVELS}")
    if "pi" not in raw:
        raise ContractError(f"{where}: field {raw.get('name')!r} needs a pi tag")
    tup = ("values", "true_values", "false_values")
    kw = {k: (tuple(str(v) for v in raw[k]) if k in tup else raw[k]) for k in raw}
    return Field(**kw)


def _parse(path: Path) -> Contract:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = tuple(_field(f, str(path)) for f in raw.pop("fields"))
    raw["business_key"] = tuple(raw["business_key"])
    contract = Contract(fields=fields, renamed=raw.pop("renamed", None) or {}, **raw)
    unknown_keys = set(contract.business_key) - set(contract.by_column)
    if unknown_keys:
        raise ContractError(f"{path}: business key columns {sorted(unknown_keys)} not in fields")
    return contract


@cache
def all_contracts() -> tuple[Contract, ...]:
    """Every contract version shipped with the project, sorted by source, table, version."""
    found = [_parse(p) for p in sorted(SCHEMA_DIR.glob("*/*.v*.yaml"))]
    return tuple(sorted(found, key=lambda c: (c.source, c.table, c.version)))


def load_contract(source: str, table: str, version: int | None = None) -> Contract:
    """The contract for ``source``/``table`` at ``version`` (the newest when omitted)."""
    matches = [c for c in all_contracts() if c.source == source and c.table == table]
    if version is not None:
        matches = [c for c in matches if c.version == int(version)]
    if not matches:
        raise KeyError(f"no contract for {source}/{table} version {version or 'latest'}")
    return matches[-1]


def contract_for_file(source: str, file_name: str, version: int | str) -> Contract | None:
    """The contract governing a delivered file under a manifest's ``contract_version``.

    A department bumps ``contract_version`` for the whole batch when one file changes; files
    that did not change keep the newest schema at or below that version.
    """
    candidates = [
        c
        for c in all_contracts()
        if c.source == source and c.file == file_name and c.version <= int(version)
    ]
    return candidates[-1] if candidates else None
