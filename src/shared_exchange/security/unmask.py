"""Unmask: the clear values of named raw-layer rows and columns, with purpose and approver (§3).

The only path from ciphertext to a person's clear identifiers. It needs the ``unmask``
privilege in the role policy, a purpose, and an approver who is not the requester; it
decrypts exactly the named ``<column>_enc`` cells of the named rows (associated data
binds each cell to its table, column and row) and returns those values and nothing else.
Each value returned is one audit event (row key and column, never the value). Rows of a
person with a sealed juvenile record also need ``sealed_access`` and a legal purpose; when
sealing cannot be checked (no published build, no token) the row counts as sealed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from shared_exchange.audit import record_event
from shared_exchange.config import Settings
from shared_exchange.contracts.schema import PII_ENCRYPTED, load_contract
from shared_exchange.security import FieldEncryptor, open_keyring
from shared_exchange.security.errors import KeyDestroyedError
from shared_exchange.security.fields import field_aad
from shared_exchange.security.policy import Policy, load_policy

__all__ = ["MAX_ROWS", "UnmaskRefused", "unmask"]

MAX_ROWS = 100
_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class UnmaskRefused(PermissionError):
    """An unmask request was refused (and audited); the message says what is missing."""


def _refuse(settings: Settings, ctx: dict[str, Any], reason: str) -> UnmaskRefused:
    record_event(settings, "unmask", decision="denied", reason=reason, **ctx)
    return UnmaskRefused(reason)


def _encrypted_columns(dataset: str) -> tuple[str, str, set[str]]:
    source, _, table = dataset.partition(".")
    try:
        contract = load_contract(source, table)
    except KeyError:
        raise ValueError(f"unknown raw dataset {dataset!r}; name it '<source>.<table>' as in "
                         "docs/raw-layer.md") from None
    return source, table, {f.column for f in contract.fields if f.pi in PII_ENCRYPTED}


def _read_rows(settings: Settings, source: str, table: str, row_keys: list[str],
               columns: list[str]) -> dict[str, dict[str, Any]]:
    """row key → {"id_token": …, "<col>_enc": blob} for the named rows only."""
    by_batch: dict[str, list[str]] = defaultdict(list)
    for key in row_keys:
        batch = key.split("/", 1)[0]
        if not _BATCH_ID.fullmatch(batch):
            raise ValueError(f"row key {key!r} does not start with a batch id")
        by_batch[batch].append(key)
    found: dict[str, dict[str, Any]] = {}
    for batch, keys in by_batch.items():
        path = Path(settings.raw) / source / table / f"{batch}.parquet"
        if not path.exists():
            continue
        schema = pq.read_schema(path)
        wanted = ["_row_id", *(c for c in ["id_token", *(f"{c}_enc" for c in columns)]
                               if c in schema.names)]
        rows = pq.read_table(path, columns=wanted, filters=[("_row_id", "in", keys)])
        for row in rows.to_pylist():
            found[row["_row_id"]] = row
    return found


def _sealed_tokens(settings: Settings, tokens: set[str]) -> set[str] | None:
    """Tokens with a sealed row in the published person_cases; None if it cannot be read."""
    from shared_exchange.security.gateway import connect_read_only

    if not settings.published_db.exists() or not tokens:
        return None
    conn = connect_read_only(settings.published_db.resolve(), settings.duckdb_memory_limit)
    try:
        rows = conn.execute("SELECT DISTINCT person_token FROM person_cases WHERE sealed "
                            "AND person_token IN (SELECT unnest(?))", [sorted(tokens)])
        return {r[0] for r in rows.fetchall()}
    except Exception:  # noqa: BLE001 - any failure means sealing is unknown: fail closed
        return None
    finally:
        conn.close()


def unmask(settings: Settings, *, actor: str, role: str, purpose: str, approver: str,
           dataset: str, row_keys: list[str], columns: list[str],
           policy: Policy | None = None) -> list[dict[str, Any]]:
    """Clear values of ``columns`` for ``row_keys`` of raw ``dataset`` ('police.suspects').

    Returns one dict per row key, in order: ``{"row_key": …, <column>: value, …}``; a value
    whose key was destroyed (crypto-shredded person) is None.
    """
    policy = policy or load_policy()
    row_keys, columns = list(dict.fromkeys(row_keys)), list(dict.fromkeys(columns))
    ctx: dict[str, Any] = {"actor": actor, "role": role, "purpose": purpose or "",
                           "approver": approver or None, "datasets": [dataset],
                           "columns": columns, "masked": False,
                           "policy_version": policy.version}
    if role not in policy.roles or not policy.holds(role, "unmask"):
        raise _refuse(settings, ctx, f"role {role} does not hold the unmask privilege "
                      f"under policy {policy.version}")
    if not (purpose or "").strip():
        raise _refuse(settings, ctx, "unmask needs a purpose")
    if not (approver or "").strip() or approver.strip() == actor.strip():
        raise _refuse(settings, ctx, "unmask needs an approver other than the requester")
    if not row_keys or not columns or len(row_keys) > MAX_ROWS:
        raise _refuse(settings, ctx, f"name 1–{MAX_ROWS} row keys and at least one column")
    try:
        source, table, encrypted = _encrypted_columns(dataset)
    except ValueError as exc:
        raise _refuse(settings, ctx, str(exc)) from None
    if set(columns) - encrypted:
        raise _refuse(settings, ctx, f"only encrypted PII columns can be unmasked; "
                      f"{dataset} has {sorted(encrypted)}")
    try:
        rows = _read_rows(settings, source, table, row_keys, columns)
    except ValueError as exc:
        raise _refuse(settings, ctx, str(exc)) from None
    missing = [k for k in row_keys if k not in rows]
    if missing:
        raise _refuse(settings, ctx, f"{len(missing)} of {len(row_keys)} row keys are not in "
                      f"the raw layer of {dataset}; nothing was unmasked")
    tokens = {r["id_token"] for r in rows.values() if r.get("id_token")}
    sealed_tokens = _sealed_tokens(settings, tokens)
    sealed_keys = {k for k, r in rows.items()
                   if sealed_tokens is None or not r.get("id_token")
                   or r["id_token"] in sealed_tokens}
    if sealed_keys and not (policy.holds(role, "sealed_access")
                            and purpose in policy.legal_purposes):
        raise _refuse(settings, ctx, f"{len(sealed_keys)} row(s) may belong to a sealed "
                      "juvenile record; that needs sealed_access and a legal purpose, one of "
                      f"{sorted(policy.legal_purposes)}")
    encryptor = FieldEncryptor(open_keyring(settings), settings.cipher)
    out: list[dict[str, Any]] = []
    erased: set[tuple[str, str]] = set()
    for key in row_keys:
        values: dict[str, Any] = {"row_key": key}
        for column in columns:
            blob = rows[key].get(f"{column}_enc")
            try:
                values[column] = (None if blob is None else encryptor.decrypt(
                    blob, aad=field_aad(source, table, column, key)))
            except KeyDestroyedError:
                values[column], _ = None, erased.add((key, column))
        out.append(values)
    # Audit before returning: if the log cannot be written, no value leaves (fail closed).
    for key in row_keys:
        sealed = key in sealed_keys
        for column in columns:
            fields = {**ctx, "columns": [column], "rows_returned": 1, "row_key": key,
                      "sealed": sealed}
            reason = "key destroyed (erased)" if (key, column) in erased else ""
            record_event(settings, "unmask", decision="allowed", reason=reason, **fields)
            if sealed:
                record_event(settings, "sealed_access", decision="allowed",
                             reason="unmask of a sealed juvenile record", **fields)
    return out
