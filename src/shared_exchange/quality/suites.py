"""Load the GX suites kept in ``expectations/`` and compute the thresholds they leave open.

A suite file is GX Core 1.x's own serialised form (``name``, ``expectations`` with ``type``,
``kwargs``, ``meta``, optional ``severity``) plus our ``meta``:

- ``meta.dataset`` / ``meta.layer`` (raw | completeness | staging | marts),
- ``meta.keys``: columns that identify a row (tokens or row ids, never clear PII); failures
  name a sample of them (``meta.table_keys`` overrides per table),
- ``meta.query``: optional SQL giving the frame to validate (joins for cross-mart checks),
- ``meta.volume``: ``{"max_drop": 0.2, "max_growth": 2.0}`` bounds vs the published build,
- per expectation ``meta.check`` (a stable name for reports) and, in multi-table suites
  (raw, staging), ``meta.table`` (which table of the dataset it applies to).

Dynamic thresholds are GX suite parameters: a kwarg written ``{"$PARAMETER": "min_rows"}`` is
resolved at validation time from the ``expectation_parameters`` our code computes here (row
counts from the batch ledger, bounds from the published build's row count).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from shared_exchange.config import PROJECT_ROOT

log = logging.getLogger(__name__)

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
RESTRICTED_CONFIG = "_restricted_models.json"
# Columns added by the raw-layer metadata, identifying a raw row without revealing it.
RAW_ROW_KEY = "_row_id"


class SuiteError(ValueError):
    """A suite file is missing or malformed (a project bug, not a department's)."""


@dataclass(frozen=True)
class SuiteSpec:
    """One suite file, as data: what the gate runs and how it names failures."""

    name: str
    path: Path
    meta: dict[str, Any]
    expectations: tuple[dict[str, Any], ...]

    @property
    def layer(self) -> str:
        return str(self.meta.get("layer", ""))

    @property
    def keys(self) -> list[str]:
        return list(self.meta.get("keys", []))

    def keys_for(self, table: str = "") -> list[str]:
        """Key columns naming offending rows of ``table`` (``meta.table_keys`` overrides)."""
        return list(self.meta.get("table_keys", {}).get(table, self.keys))

    @property
    def tables(self) -> list[str]:
        """Tables named by a multi-table suite, in file order; ``[""]`` for a one-table suite."""
        seen: dict[str, None] = {}
        for exp in self.expectations:
            seen.setdefault(str(exp.get("meta", {}).get("table", "")), None)
        return list(seen) or [""]

    def for_table(self, table: str) -> list[dict[str, Any]]:
        return [e for e in self.expectations if e.get("meta", {}).get("table", "") == table]

    def columns(self, table: str = "") -> set[str]:
        """Every column the suite's expectations on ``table`` read (to load only those)."""
        cols: set[str] = set()
        for exp in self.for_table(table):
            kw = exp.get("kwargs", {})
            for k in ("column", "column_A", "column_B"):
                if k in kw:
                    cols.add(kw[k])
            cols.update(kw.get("column_list", []))
        return cols

    def parameters(self) -> set[str]:
        """Names of the ``$PARAMETER`` placeholders the suite needs."""
        names: set[str] = set()
        for exp in self.expectations:
            for value in exp.get("kwargs", {}).values():
                if isinstance(value, dict) and "$PARAMETER" in value:
                    names.add(value["$PARAMETER"])
        return names


@dataclass(frozen=True)
class RestrictedModels:
    """Which marts may hold person-level (and sealed) rows; every other mart may not."""

    restricted: frozenset[str]
    person_columns: tuple[str, ...] = ("person_token", "person_case_id")
    min_cell: int = 5
    marts: tuple[str, ...] = field(default_factory=tuple)


def suite_path(dataset: str, directory: Path | None = None) -> Path:
    return (directory or EXPECTATIONS_DIR) / f"{dataset}.json"


def load_suite(dataset: str, directory: Path | None = None) -> SuiteSpec:
    """The suite for ``dataset`` from ``expectations/<dataset>.json``."""
    path = suite_path(dataset, directory)
    if not path.exists():
        raise SuiteError(f"no suite for dataset {dataset!r}: expected {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}: not valid JSON ({exc}); fix the file") from exc
    if raw.get("name") != dataset or not isinstance(raw.get("expectations"), list):
        raise SuiteError(f"{path}: needs name {dataset!r} and an expectations list")
    for i, exp in enumerate(raw["expectations"]):
        if "type" not in exp or "check" not in exp.get("meta", {}):
            raise SuiteError(f"{path}: expectation #{i} needs a type and meta.check")
    return SuiteSpec(
        name=dataset,
        path=path,
        meta=raw.get("meta", {}),
        expectations=tuple(raw["expectations"]),
    )


def datasets(layer: str, directory: Path | None = None) -> list[str]:
    """Names of the suites of one layer, sorted (the files are the list of gated datasets)."""
    found = []
    for path in sorted((directory or EXPECTATIONS_DIR).glob("*.json")):
        if path.name.startswith("_"):
            continue
        meta = json.loads(path.read_text(encoding="utf-8")).get("meta", {})
        if meta.get("layer") == layer:
            found.append(path.stem)
    return found


@cache
def restricted_models(directory: Path | None = None) -> RestrictedModels:
    """The explicit list of restricted (person-level, sealed-flag carrying) marts."""
    raw = json.loads(((directory or EXPECTATIONS_DIR) / RESTRICTED_CONFIG).read_text("utf-8"))
    return RestrictedModels(
        restricted=frozenset(raw["restricted"]),
        person_columns=tuple(raw.get("person_columns", ("person_token", "person_case_id"))),
        min_cell=int(raw.get("min_cell", 5)),
        marts=tuple(raw.get("marts", ())),
    )


def to_gx_suite(spec: SuiteSpec, table: str = ""):  # -> great_expectations ExpectationSuite
    """A GX ``ExpectationSuite`` holding the expectations of ``spec`` that apply to ``table``."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    name = f"{spec.name}.{table}" if table else spec.name
    return ExpectationSuite(name=name, expectations=spec.for_table(table), meta=dict(spec.meta))


# -- dynamic parameters ------------------------------------------------------------------


def volume_parameters(spec: SuiteSpec, published_rows: int | None) -> dict[str, Any]:
    """``min_rows``/``max_rows`` around the last published build's row count.

    With no published build (the first run) any non-negative count passes; the bounds come
    from ``meta.volume`` so each dataset states how much change is plausible in one run.
    """
    bounds = spec.meta.get("volume", {})
    if published_rows is None:
        return {"min_rows": 0, "max_rows": None}
    max_drop = float(bounds.get("max_drop", 0.2))
    max_growth = bounds.get("max_growth")
    low = int(published_rows * (1 - max_drop))
    high = None if max_growth is None else int(published_rows * (1 + float(max_growth))) + 1
    return {"min_rows": low, "max_rows": high}


def ledger_parameters(ledgers: list[dict[str, Any]]) -> dict[str, Any]:
    """``<table>_loaded_rows`` per raw table: what the ledgers say the batches loaded."""
    params: dict[str, Any] = {}
    for ledger in ledgers:
        for f in ledger.get("files", []):
            key = f"{f['table']}_loaded_rows"
            params[key] = params.get(key, 0) + int(f.get("loaded", 0))
    return params
