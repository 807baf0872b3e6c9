"""The batch ledger: one JSON file per batch (``ledger/<source>/<batch_id>.json``), written last.

A ledger entry is the proof a batch was processed: ingestion writes it after every raw and
quarantine file is in place, so a crash leaves no entry and the batch is simply redone.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

from shared_exchange import SOURCES
from shared_exchange.config import Settings

log = logging.getLogger(__name__)


def entry_path(settings: Settings, source: str, batch_id: str) -> Path:
    return settings.ledger / source / f"{batch_id}.json"


def write_entry(settings: Settings, entry: dict[str, Any]) -> Path:
    """Atomically write a batch's entry (sorted keys: the same batch gives the same bytes)."""
    path = entry_path(settings, entry["source"], entry["batch_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps(entry, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_entry(settings: Settings, source: str, batch_id: str) -> dict[str, Any] | None:
    path = entry_path(settings, source, batch_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("ledger entry %s is unreadable; the batch will be redone", path)
        return None


def entries(settings: Settings, source: str) -> list[dict[str, Any]]:
    """Every readable ledger entry of a source, ordered by (business_date, batch_id)."""
    folder = settings.ledger / source
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        entry = read_entry(settings, source, path.stem)
        if entry is not None:
            found.append(entry)
    return sorted(found, key=lambda e: (e.get("business_date", ""), e.get("batch_id", "")))


def loaded_batches(settings: Settings, source: str) -> set[str]:
    """Batch ids of a source that were loaded (a rejected batch may still be retried)."""
    return {e["batch_id"] for e in entries(settings, source) if e.get("status") == "loaded"}


def summary(settings: Settings) -> dict[str, dict[str, Any]]:
    """Per department: batches (all, rejected), rows delivered/loaded/quarantined, reasons."""
    out: dict[str, dict[str, Any]] = {}
    for source in SOURCES:
        status: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        rows = {"delivered": 0, "loaded": 0, "quarantined": 0}
        last = None
        for e in entries(settings, source):
            status[e.get("status", "unknown")] += 1
            reasons.update(e.get("quarantine_reasons", {}))
            for key in rows:
                rows[key] += int(e.get(key) or 0)
            last = max(last or "", e.get("business_date") or "")
        out[source] = {"batches": sum(status.values()), "loaded_batches": status["loaded"],
                       "rejected": status["rejected"], **rows,
                       "quarantine_reasons": dict(sorted(reasons.items())),
                       "last_business_date": last}
    return out
