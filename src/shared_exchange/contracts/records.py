"""What a parser yields per delivered row, and how delivered names map to contract columns."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shared_exchange.contracts.schema import Contract, all_contracts


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """A structurally sound delivered row; values are raw strings keyed by canonical column."""

    line: int  # 1-based physical line (JSONL/CSV) or row-element ordinal (XML)
    values: dict[str, str | None]
    raw: bytes
    extra_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowError:
    """A delivered row that cannot be read; ``reason`` never quotes a value."""

    line: int
    field: str | None
    reason_code: str
    reason: str
    raw: bytes


Parsed = ParsedRow | RowError


def field_aliases(contract: Contract, scope: str | None = None) -> dict[str, str]:
    """Delivered name → canonical column, over every version of this file's contract.

    A department that renamed a column in contract v2 may still send a v1-named file (or a
    v2 file under the v1 label); both names map to the same column.
    """
    return _aliases(contract.source, contract.table, contract.version, scope)


@cache
def _aliases(source: str, table: str, version: int, scope: str | None) -> dict[str, str]:
    contract = next(c for c in all_contracts()
                    if (c.source, c.table, c.version) == (source, table, version))
    columns = {f.column for f in contract.fields if scope is None or f.scope == scope}
    aliases: dict[str, str] = {}
    for other in all_contracts():
        if (other.source, other.table) != (contract.source, contract.table):
            continue
        for f in other.fields:
            if f.column in columns and (scope is None or f.scope == scope):
                aliases.setdefault(f.name, f.column)
    for f in contract.fields:  # the batch's own version wins any clash
        if scope is None or f.scope == scope:
            aliases[f.name] = f.column
    for old, new in contract.renamed.items():
        if new in aliases:
            aliases.setdefault(old, aliases[new])
    return aliases


