"""Classification read from dbt YAML ``meta`` (baseline §1): the catalog and the build check.

Classification lives once, in the dbt YAML ``meta`` of sources, models and columns; this
module reads it (from ``target/manifest.json`` after ``dbt parse``, or straight from the
YAML files when no manifest exists) and is the only place other code asks for it.

Rules checked by :func:`check_classification` (each breach is a :class:`Violation`):

- every column of every source table and model carries ``level`` and ``pi``;
- ``level`` is one of core | important | general, ``pi`` one of :data:`PI_KINDS`;
- every source table and model carries a ``sharing`` level (无条件共享 / 有条件共享 /
  不予共享, or unconditional / conditional / none), directly or cascaded from
  ``dbt_project.yml`` or its source;
- a model- or source-level ``level``, when declared, is at least its highest column's.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "LEVELS",
    "PI_KINDS",
    "SHARING_LEVELS",
    "Catalog",
    "ColumnMeta",
    "DatasetMeta",
    "Violation",
    "catalog_from_manifest",
    "catalog_from_yml",
    "check_classification",
    "level_rank",
    "load_catalog",
    "load_manifest",
    "normalise_sharing",
]

log = logging.getLogger(__name__)

LEVELS = ("general", "important", "core")  # ascending; 就高从严 takes the max
PI_KINDS = frozenset({
    "none", "id_number", "name", "phone", "address", "birth_date", "criminal_record",
    "token", "sex", "minor", "health", "biometric", "location",
})
SHARING_LEVELS = {"无条件共享": "unconditional", "有条件共享": "conditional", "不予共享": "none"}
_SHARING_ALIASES = {v: v for v in SHARING_LEVELS.values()} | SHARING_LEVELS


def level_rank(level: str) -> int:
    """0 general, 1 important, 2 core; unknown levels rank as core (grade up when in doubt)."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS) - 1


def normalise_sharing(value: Any) -> str | None:
    """'unconditional' | 'conditional' | 'none' from either spelling; None if unknown."""
    return _SHARING_ALIASES.get(str(value).strip()) if value is not None else None


@dataclass(frozen=True)
class Violation:
    """One breach of the classification rules; ``where`` names the file and node."""

    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class ColumnMeta:
    name: str
    level: str | None
    pi: str | None
    data_type: str | None = None


@dataclass
class DatasetMeta:
    """A source table or a model with its classification."""

    name: str  # model name, or "<source>.<table>" for a source table
    kind: str  # "model" | "source"
    path: str  # the YAML (or SQL) file that declares it
    meta: dict[str, Any]
    columns: dict[str, ColumnMeta] = field(default_factory=dict)
    relation: str | None = None  # database.schema.identifier as dbt renders it
    compiled_path: str | None = None
    depends_on: tuple[str, ...] = ()

    @property
    def sharing(self) -> str | None:
        return normalise_sharing(self.meta.get("sharing"))

    @property
    def declared_level(self) -> str | None:
        return self.meta.get("level")

    @property
    def level(self) -> str:
        """The declared level, else the highest of its columns (就高从严)."""
        levels = [c.level or "core" for c in self.columns.values()]
        if self.declared_level:
            levels.append(self.declared_level)
        return max(levels, key=level_rank) if levels else "core"


@dataclass
class Catalog:
    """Every classified dataset by name (models by model name, sources as 'src.table')."""

    datasets: dict[str, DatasetMeta]
    origin: str

    def column(self, dataset: str, column: str) -> ColumnMeta | None:
        found = self.datasets.get(dataset)
        return found.columns.get(column) if found else None


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    """meta as dbt 1.11 spells it: top-level ``meta`` merged with ``config.meta``."""
    merged: dict[str, Any] = {}
    merged.update((node.get("config") or {}).get("meta") or {})
    merged.update(node.get("meta") or {})
    return merged


def _columns(node: dict[str, Any]) -> dict[str, ColumnMeta]:
    raw = node.get("columns") or {}
    items = raw.values() if isinstance(raw, dict) else raw
    out = {}
    for col in items:
        meta = _meta(col)
        out[col["name"]] = ColumnMeta(col["name"], meta.get("level"), meta.get("pi"),
                                      col.get("data_type"))
    return out


def load_manifest(path: str | Path) -> dict[str, Any]:
    """A dbt manifest.json (run ``dbt parse`` first to create it)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no dbt manifest; run `dbt parse` in the dbt project")
    return json.loads(path.read_text(encoding="utf-8"))


def catalog_from_manifest(manifest: dict[str, Any]) -> Catalog:
    """Catalog of the root project's models and sources (packages and tests excluded)."""
    project = manifest.get("metadata", {}).get("project_name")
    datasets: dict[str, DatasetMeta] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") not in ("model", "snapshot"):
            continue
        if project and node.get("package_name") != project:
            continue
        declared_in = (node.get("patch_path") or "").split("://")[-1]
        datasets[node["name"]] = DatasetMeta(
            node["name"], "model", declared_in or node.get("original_file_path", ""),
            _meta(node), _columns(node), node.get("relation_name"),
            node.get("compiled_path"), tuple(node.get("depends_on", {}).get("nodes", ())))
    for src in manifest.get("sources", {}).values():
        if project and src.get("package_name") != project:
            continue
        meta = dict(src.get("source_meta") or {}) | _meta(src)
        name = f"{src['source_name']}.{src['name']}"
        datasets[name] = DatasetMeta(name, "source", src.get("original_file_path", ""), meta,
                                     _columns(src), src.get("relation_name"))
    return Catalog(datasets, origin="manifest")


def catalog_from_yml(models_dir: str | Path) -> Catalog:
    """Catalog read straight from ``models/**/*.yml`` (no cascade from dbt_project.yml)."""
    datasets: dict[str, DatasetMeta] = {}
    for path in sorted(Path(models_dir).rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            datasets[model["name"]] = DatasetMeta(model["name"], "model", str(path),
                                                  _meta(model), _columns(model))
        for source in doc.get("sources") or []:
            source_meta = _meta(source)
            for table in source.get("tables") or []:
                name = f"{source['name']}.{table['name']}"
                datasets[name] = DatasetMeta(name, "source", str(path),
                                             source_meta | _meta(table), _columns(table))
    return Catalog(datasets, origin=f"yml:{models_dir}")


def load_catalog(dbt_project_dir: str | Path) -> Catalog:
    """The manifest's catalog when ``target/manifest.json`` exists, else the YAML's."""
    manifest = Path(dbt_project_dir) / "target" / "manifest.json"
    if manifest.exists():
        return catalog_from_manifest(load_manifest(manifest))
    return catalog_from_yml(Path(dbt_project_dir) / "models")


def check_classification(manifest: dict[str, Any] | Catalog) -> list[Violation]:
    """Every missing or invalid tag in the project's sources and models."""
    catalog = manifest if isinstance(manifest, Catalog) else catalog_from_manifest(manifest)
    found: list[Violation] = []
    for ds in sorted(catalog.datasets.values(), key=lambda d: d.name):
        where = f"{ds.path} ({ds.kind} {ds.name})"
        if ds.sharing is None:
            found.append(Violation(
                "sharing", where,
                f"meta.sharing is {ds.meta.get('sharing')!r}; set one of "
                f"{sorted(SHARING_LEVELS)} on the {ds.kind} (or cascade it)"))
        if ds.declared_level is not None and ds.declared_level not in LEVELS:
            found.append(Violation("level", where, f"meta.level {ds.declared_level!r} is not "
                                   f"one of {LEVELS}"))
        if not ds.columns:
            found.append(Violation("columns", where, "no columns documented; every column "
                                   "needs meta level and pi"))
        for col in ds.columns.values():
            found.extend(_column_violations(where, col))
        top = max((c.level for c in ds.columns.values() if c.level in LEVELS),
                  key=level_rank, default=None)
        if (ds.declared_level in LEVELS and top is not None
                and level_rank(ds.declared_level) < level_rank(top)):
            found.append(Violation("level", where, f"declared level {ds.declared_level} is "
                                   f"below its highest column's ({top})"))
    return found


def _column_violations(where: str, col: ColumnMeta) -> list[Violation]:
    out = []
    if col.level is None:
        out.append(Violation("level", where, f"column {col.name}: meta.level missing; "
                             f"add one of {LEVELS}"))
    elif col.level not in LEVELS:
        out.append(Violation("level", where, f"column {col.name}: meta.level {col.level!r} "
                             f"is not one of {LEVELS}"))
    if col.pi is None:
        out.append(Violation("pi", where, f"column {col.name}: meta.pi missing; add one of "
                             f"{sorted(PI_KINDS)}"))
    elif col.pi not in PI_KINDS:
        out.append(Violation("pi", where, f"column {col.name}: meta.pi {col.pi!r} is not "
                             f"one of {sorted(PI_KINDS)}"))
    return out
