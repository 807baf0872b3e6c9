"""Erasing a person beyond their keys: blank their masked display forms in the raw layer.

Crypto-shredding makes a person's ciphertexts unreadable, but `<col>_masked` forms
(`330106********1234`, `张*`) are stored beside them and still narrow down who it was.
The next warehouse build is a full refresh (raw_rewrites), so no table keeps the old forms.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shared_exchange.config import Settings
from shared_exchange.raw_rewrites import mark_raw_rewritten

log = logging.getLogger(__name__)


def _scrub_file(path: Path, id_token: str) -> int:
    schema = pq.read_schema(path)
    masked = [n for n in schema.names if n.endswith("_masked")]
    if "id_token" not in schema.names or not masked:
        return 0
    table = pq.read_table(path)
    hit = pc.fill_null(pc.equal(table["id_token"], id_token), False)
    rows = pc.sum(hit).as_py() or 0
    if not rows:
        return 0
    for name in masked:
        column = table[name]
        blanked = pc.if_else(hit, pa.scalar(None, column.type), column)
        table = table.set_column(table.schema.get_field_index(name), name, blanked)
    tmp = path.with_suffix(".erasing")
    pq.write_table(table.cast(schema), tmp)
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    return rows


def scrub_masked_forms(settings: Settings, id_token: str) -> int:
    """Blank every masked display form of one person in the raw layer; returns rows changed."""
    changed = sum(_scrub_file(p, id_token) for p in sorted(settings.raw.glob("*/*/*.parquet")))
    if changed:
        mark_raw_rewritten(settings, "erasure")
    log.info("erased masked forms in %d raw row(s)", changed)
    return changed
