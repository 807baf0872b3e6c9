"""Quarantine rows: what could not be loaded, why (never the value), and the raw row encrypted.

The delivered line or element is kept as ``raw_enc`` (AEAD, associated data
``quarantine|raw|<batch_id>/<file>/<line>``, dataset-and-month key, no person key because
the row may be unreadable) so it can be replayed once the department fixes it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from shared_exchange.contracts.records import RowError
from shared_exchange.ingest.protect import Protector
from shared_exchange.security import quarantine_aad


def raw_text(raw: bytes, encoding: str) -> str:
    """The delivered bytes as text; undecodable bytes stay visible as ``\\xNN`` escapes."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return raw.decode(encoding, errors="backslashreplace")


@dataclass
class QuarantineRows:
    """Quarantined rows of one batch, gathered file by file, encrypted when complete."""

    source: str
    batch_id: str
    business_date: dt.date
    errors: list[tuple[str, str, str, RowError]] = field(default_factory=list)

    def add(self, file: str, table: str, encoding: str, found: list[RowError]) -> None:
        self.errors.extend((file, table, encoding, e) for e in found)

    def reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(e.reason_code for *_, e in self.errors).items()))

    def columns(self, protector: Protector, scope: str) -> dict[str, list]:
        """Quarantine table columns, ordered by file then line (deterministic)."""
        rows = sorted(self.errors, key=lambda t: (t[0], t[3].line))
        row_ids = [f"{self.batch_id}/{file}/{e.line}" for file, _, _, e in rows]
        raw = [raw_text(e.raw, enc) for _, _, enc, e in rows]
        blobs = protector.encrypt_columns(
            {"raw_enc": (raw, [quarantine_aad(r) for r in row_ids])}, scope, None)["raw_enc"]
        return {
            "batch_id": [self.batch_id] * len(rows),
            "source": [self.source] * len(rows),
            "file": [file for file, *_ in rows],
            "table": [table for _, table, _, _ in rows],
            "line": [e.line for *_, e in rows],
            "field": [e.field for *_, e in rows],
            "reason": [e.reason for *_, e in rows],
            "reason_code": [e.reason_code for *_, e in rows],
            "raw_enc": blobs,
            "_business_date": [self.business_date] * len(rows),
        }
