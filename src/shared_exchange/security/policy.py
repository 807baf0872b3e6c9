"""Role policies as data: load and check ``policies/roles.v<N>.yaml`` and answer access questions.

The file is the single statement of who sees what (security-baseline.md §3); the gateway
and unmask ask this module, never a second list. Its version is the file's own version
plus a SHA-256 of its bytes, so every audit event names the exact policy it applied.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared_exchange.security.classification import SHARING_LEVELS, normalise_sharing
from shared_exchange.security.masking import MASK_RULES

__all__ = [
    "FORMS",
    "PRIVILEGES",
    "Policy",
    "PolicyError",
    "RolePolicy",
    "column_form",
    "default_policy_path",
    "load_policy",
    "masking_matrix",
]

POLICY_DIR = Path(__file__).with_name("policies")
FORMS = ("clear", "mask", "hidden")
PRIVILEGES = ("unmask", "sealed_access")
_FILE = re.compile(r"^roles\.v(\d+)\.yaml$")


class PolicyError(ValueError):
    """The policy file is invalid or names something unknown."""


@dataclass(frozen=True)
class RolePolicy:
    name: str
    sharing: frozenset[str]
    datasets: frozenset[str]
    forms: dict[str, str]
    region_scope: bool
    privileges: frozenset[str]

    def form(self, pi: str | None) -> str:
        """clear | hidden | a masking rule name; unknown or untagged pi is hidden."""
        chosen = self.forms.get(pi or "", "hidden")
        if chosen == "mask":
            return pi if pi in MASK_RULES else "hidden"
        return chosen


@dataclass(frozen=True)
class Policy:
    path: Path
    number: int
    digest: str
    roles: dict[str, RolePolicy]
    datasets: dict[str, dict[str, Any]]
    legal_purposes: dict[str, str]
    privileges: dict[str, dict[str, Any]]

    @property
    def version(self) -> str:
        return f"v{self.number}+sha256:{self.digest[:16]}"

    def role(self, name: str) -> RolePolicy:
        try:
            return self.roles[name]
        except KeyError:
            raise PolicyError(f"unknown role {name!r}; the policy {self.path.name} defines "
                              f"{sorted(self.roles)}") from None

    def may_read(self, role: str, dataset: str, sharing: str | None) -> bool:
        """Listed for the role and of a sharing level the role may read (deny by default)."""
        rp = self.role(role)
        return (dataset in rp.datasets and dataset in self.datasets
                and sharing is not None and sharing in rp.sharing)

    def row_attributes(self, dataset: str) -> tuple[str | None, str | None]:
        """(region column, sealed column) of a published dataset."""
        attrs = self.datasets.get(dataset, {})
        return attrs.get("region_column"), attrs.get("sealed_column")

    def holds(self, role: str, privilege: str) -> bool:
        return privilege in self.role(role).privileges


def column_form(policy: Policy, role: str, pi: str | None) -> str:
    """The form a role sees a column of this pi kind in."""
    return policy.role(role).form(pi)


def default_policy_path() -> Path:
    """The newest ``roles.v<N>.yaml`` shipped with the package."""
    found = sorted((int(m.group(1)), p) for p in POLICY_DIR.glob("roles.v*.yaml")
                   if (m := _FILE.match(p.name)))
    if not found:
        raise PolicyError(f"{POLICY_DIR}: no roles.v<N>.yaml policy file")
    return found[-1][1]


def load_policy(path: str | Path | None = None) -> Policy:
    """Parse and check a policy file (the newest shipped one by default)."""
    path = Path(path) if path else default_policy_path()
    match = _FILE.match(path.name)
    if not match:
        raise PolicyError(f"{path}: policy files are named roles.v<N>.yaml")
    data = path.read_bytes()
    doc = yaml.safe_load(data) or {}
    number = int(match.group(1))
    if doc.get("version") != number:
        raise PolicyError(f"{path}: 'version: {doc.get('version')}' differs from the file "
                          f"name's v{number}; keep them equal")
    defaults = doc.get("dataset_defaults") or {}
    datasets = {name: defaults | (attrs or {}) for name, attrs in (doc.get("datasets") or
                                                                    {}).items()}
    privileges = doc.get("privileges") or {}
    unknown = set(privileges) - set(PRIVILEGES)
    if unknown:
        raise PolicyError(f"{path}: unknown privileges {sorted(unknown)}; use {PRIVILEGES}")
    roles = {name: _role(path, name, raw, datasets) for name, raw in
             (doc.get("roles") or {}).items()}
    return Policy(path, number, hashlib.sha256(data).hexdigest(), roles, datasets,
                  dict(doc.get("legal_purposes") or {}), privileges)


def _role(path: Path, name: str, raw: dict[str, Any], datasets: dict[str, Any]) -> RolePolicy:
    where = f"{path}: roles.{name}"
    sharing = {normalise_sharing(s) for s in raw.get("sharing") or []}
    if None in sharing or "none" in sharing:
        raise PolicyError(f"{where}.sharing: use {sorted(set(SHARING_LEVELS.values()) - {'none'})}"
                          " (不予共享 data never goes through the gateway)")
    listed = set(raw.get("datasets") or [])
    if listed - set(datasets):
        raise PolicyError(f"{where}.datasets: {sorted(listed - set(datasets))} are not "
                          "declared under datasets:")
    forms = {str(k): str(v) for k, v in (raw.get("forms") or {}).items()}
    bad = {k: v for k, v in forms.items() if v not in FORMS}
    if bad:
        raise PolicyError(f"{where}.forms: {bad} — each form is one of {FORMS}")
    privileges = set(raw.get("privileges") or [])
    if privileges - set(PRIVILEGES):
        raise PolicyError(f"{where}.privileges: unknown {sorted(privileges - set(PRIVILEGES))}")
    return RolePolicy(name, frozenset(sharing), frozenset(listed), forms,
                      bool(raw.get("region_scope", False)), frozenset(privileges))


def masking_matrix(policy: Policy, catalog: Any) -> dict[str, dict[str, str]]:
    """role → {"dataset.column": form} over the policy's datasets (for reports and docs).

    ``catalog`` is a :class:`classification.Catalog`; forms are clear, hidden or the mask
    rule's name, as the gateway would apply them (the sealed flag is shown as hidden: it
    is visible only with sealed_access).
    """
    matrix: dict[str, dict[str, str]] = {}
    for role, rp in policy.roles.items():
        row: dict[str, str] = {}
        for dataset in sorted(policy.datasets):
            meta = catalog.datasets.get(dataset)
            if meta is None:
                continue
            readable = policy.may_read(role, dataset, meta.sharing)
            _, sealed_col = policy.row_attributes(dataset)
            for column, cm in meta.columns.items():
                form = rp.form(cm.pi) if readable and cm.level else "hidden"
                row[f"{dataset}.{column}"] = "hidden" if column == sealed_col else form
        matrix[role] = row
    return matrix
