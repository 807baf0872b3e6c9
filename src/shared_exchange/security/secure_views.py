"""Secure views: one published mart as a role may see it (column forms + row filters).

The gateway substitutes a secure view for every mart a query names. The view is the whole
of what the role can observe: hidden columns are absent, masked columns hold only their
masked form (:func:`masking.sql_mask`), and the row filters (own region; no sealed rows
without ``sealed_access`` and a legal purpose) run before anything the caller wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared_exchange.security.classification import Catalog
from shared_exchange.security.masking import sql_mask
from shared_exchange.security.policy import Policy, PolicyError, RolePolicy
from shared_exchange.security.sql_guard import QueryRefused

__all__ = ["Access", "SecureView", "build_view", "check_access"]

_REGION = re.compile(r"33\d{2}(?:\d{2})?")  # Zhejiang city (4 digits) or county (6)
_MASKED_TYPE = {"birth_date": "INTEGER"}
MAX_PURPOSE_CHARS = 200


@dataclass(frozen=True)
class Access:
    """Who is asking, checked against the policy once per query."""

    role: RolePolicy
    purpose: str
    region: str | None
    sealed_visible: bool


@dataclass(frozen=True)
class SecureView:
    dataset: str
    sql: str
    forms: dict[str, str]  # column → clear | <mask rule>  (hidden columns absent)
    visible_types: dict[str, str]
    filters: tuple[str, ...]
    sealed_visible: bool

    @property
    def rewrites(self) -> bool:
        return bool(self.filters) or any(f != "clear" for f in self.forms.values())


def check_access(policy: Policy, *, role: str, purpose: str, region: str | None,
                 privileges: tuple[str, ...]) -> Access:
    """The caller's access for one query, or QueryRefused naming what is missing."""
    try:
        rp = policy.role(role)
    except PolicyError as exc:
        raise QueryRefused(str(exc), "role") from None
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > MAX_PURPOSE_CHARS:
        raise QueryRefused(f"state a purpose (1–{MAX_PURPOSE_CHARS} characters) for every "
                           "query", "purpose")
    for privilege in privileges:
        if privilege == "unmask":
            raise QueryRefused("unmask is not a gateway privilege; use `shared-exchange "
                               "unmask` with a purpose and an approver", "privilege")
        if privilege not in rp.privileges:
            raise QueryRefused(f"role {role} cannot hold privilege {privilege!r} under "
                               f"policy {policy.version}", "privilege")
    sealed = "sealed_access" in privileges
    if sealed and purpose not in policy.legal_purposes:
        raise QueryRefused(f"sealed_access needs a legal purpose, one of "
                           f"{sorted(policy.legal_purposes)}", "legal_purpose")
    if rp.region_scope:
        if not region or not _REGION.fullmatch(region):
            raise QueryRefused(f"role {role} reads its own region only: give --region as a "
                               "Zhejiang city (4 digits, e.g. 3301) or county (6 digits)",
                               "region")
    else:
        region = None
    return Access(rp, purpose, region, sealed)


def _q(name: str) -> str:
    """A DuckDB quoted identifier (double quotes doubled inside)."""
    return '"' + name.replace('"', '""') + '"'


def _region_filter(policy: Policy, dataset: str, region_col: str | None,
                   types: dict[str, str], access: Access,
                   tables: dict[str, tuple[str, dict[str, str]]]) -> str:
    """Own-region rows: by the dataset's region column, else through ``region_via``."""
    starts = f"'{access.region}'"  # validated digits only (check_access)
    if region_col and region_col in types:
        return f"starts_with(CAST({_q(region_col)} AS VARCHAR), {starts})"
    via = policy.datasets.get(dataset, {}).get("region_via") or {}
    via_ds, key = via.get("dataset"), via.get("key")
    via_region, _ = policy.row_attributes(via_ds) if via_ds else (None, None)
    if via_ds in tables and key in types and via_region in tables[via_ds][1]:
        return (f"{_q(key)} IN (SELECT {_q(key)} FROM {tables[via_ds][0]} WHERE "
                f"starts_with(CAST({_q(via_region)} AS VARCHAR), {starts}))")
    raise QueryRefused(f"{dataset} has no region column for the region filter; role "
                       f"{access.role.name} cannot read it", "region")


def build_view(policy: Policy, catalog: Catalog, access: Access, dataset: str,
               relation: str, types: dict[str, str],
               tables: dict[str, tuple[str, dict[str, str]]] | None = None) -> SecureView:
    """The secure view of ``dataset`` (at ``relation``, columns ``types``) for ``access``.

    ``tables`` (dataset → (relation, column types)) resolves a ``region_via`` dataset.
    """
    role = access.role.name
    meta = catalog.datasets.get(dataset)
    if meta is None:
        raise QueryRefused(f"dataset {dataset} has no classification in the dbt catalog; it "
                           "stays closed until its YAML meta is written", "classification")
    if not policy.may_read(role, dataset, meta.sharing):
        raise QueryRefused(f"role {role} may not read {dataset} (sharing "
                           f"{meta.sharing or 'unset'}) under policy {policy.version}",
                           "dataset")
    region_col, sealed_col = policy.row_attributes(dataset)
    forms: dict[str, str] = {}
    for column in types:
        cm = meta.columns.get(column)
        form = access.role.form(cm.pi) if cm is not None and cm.level else "hidden"
        if column == sealed_col and not access.sealed_visible:
            form = "hidden"
        if form != "hidden":
            forms[column] = form
    filters: list[str] = []
    if meta.sharing == "conditional":  # person-level rows
        if sealed_col:
            if sealed_col not in types:
                raise QueryRefused(f"{dataset} has no {sealed_col!r} column, so sealed rows "
                                   "cannot be excluded; it stays closed", "sealed")
            if not access.sealed_visible:
                filters.append(f"coalesce({_q(sealed_col)}, TRUE) = FALSE")
        if access.region:
            filters.append(_region_filter(policy, dataset, region_col, types, access,
                                          tables or {}))
    if not forms:
        raise QueryRefused(f"role {role} sees no column of {dataset}", "dataset")
    items = [_q(c) if f == "clear" else f"{sql_mask(f, _q(c), types[c])} AS {_q(c)}"
             for c, f in forms.items()]
    sql = f"SELECT {', '.join(items)} FROM {relation}"
    if filters:
        sql += " WHERE " + " AND ".join(filters)
    visible = {c: (_MASKED_TYPE.get(f, "VARCHAR") if f != "clear" else types[c])
               for c, f in forms.items()}
    return SecureView(dataset, sql, forms, visible, tuple(filters), access.sealed_visible)
