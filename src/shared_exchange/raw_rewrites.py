"""The raw layer's rewrite stamp: key rotation, erasure and forced reloads rewrite batch files.

Staging merges only batches it has not seen (dbt_project/macros/current_versions.sql), so a
file rewritten under an old batch id (re-encrypted blobs, blanked masked forms) would keep
its old rows in the warehouse. Each in-place rewrite changes the stamp, and a build whose
base was made under another stamp is a full refresh (``warehouse.dbt.build_digest``).
"""

from __future__ import annotations

import uuid

from shared_exchange.config import Settings
from shared_exchange.quality.storage import atomic_write_json, read_json

_STAMP = "rewritten.json"


def mark_raw_rewritten(settings: Settings, why: str) -> None:
    """Record that raw files were rewritten in place (``why``: rotation, erasure, reload)."""
    atomic_write_json(settings.raw / _STAMP, {"stamp": uuid.uuid4().hex, "why": why})


def raw_rewrite_stamp(settings: Settings) -> str:
    """The current stamp; empty while no raw file was ever rewritten."""
    return (read_json(settings.raw / _STAMP) or {}).get("stamp", "")
