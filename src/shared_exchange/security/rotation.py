"""Key rotation with re-encryption of the raw layer, and crypto-shredding of one person.

Rotation never breaks a reader: new primaries are added first (old keys keep decrypting),
each Parquet file is rewritten to a temp file and swapped in with ``os.replace``, and an old
key is retired only when a final scan finds no blob left under it. Field keys (dataset +
period) and person keys (one per person: a new version each) rotate the same way. Run it
while ingestion is paused for best results; a file that changes while it is being
rewritten is left alone (its key stays enabled) and the next run picks it up.
KEK rotation (re-wrapping, no re-encryption) is in ``rotation_kek``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared_exchange.config import Settings
from shared_exchange.raw_rewrites import mark_raw_rewritten
from shared_exchange.security.fields import (
    FieldEncryptor,
    field_aad,
    parse_header,
    quarantine_aad,
)
from shared_exchange.security.keyring import Keyring, open_keyring
from shared_exchange.security.rotation_kek import KekRotationReport, rotate_kek

__all__ = ["ROTATABLE", "KekRotationReport", "RotationReport", "rotate_and_reencrypt",
           "rotate_kek", "shred_person"]

log = logging.getLogger(__name__)


ROTATABLE = ("field", "person", "all")


@dataclass
class RotationReport:
    """What a rotation did: key ids of field keys, counts for person keys (one per person)."""

    purpose: str
    new_keys: list[str] = field(default_factory=list)  # field keys
    files_scanned: int = 0
    files_rewritten: int = 0
    values_reencrypted: int = 0
    retired_keys: list[str] = field(default_factory=list)  # field keys
    still_referenced: list[str] = field(default_factory=list)  # old field keys kept enabled
    new_person_keys: int = 0
    retired_person_keys: int = 0
    person_keys_still_referenced: int = 0
    errors: list[str] = field(default_factory=list)  # where and what, never values


def _parquet_files(settings: Settings) -> list[Path]:
    files: list[Path] = []
    for root in (settings.raw, settings.quarantine):
        if root.exists():
            files.extend(p for p in root.rglob("*.parquet") if not p.name.startswith("."))
    return sorted(files)


def _row_aads(table: Any, column: str) -> list[str]:
    """The associated data of each row's blob, rebuilt as docs/raw-layer.md defines it."""
    names = set(table.column_names)
    if column == "raw_enc" and {"batch_id", "file", "line"} <= names:
        rows = zip(*(table.column(c).to_pylist() for c in ("batch_id", "file", "line")),
                   strict=True)
        return [quarantine_aad(f"{b}/{f}/{n}") for b, f, n in rows]
    source, tbl, row_id = (table.column(c).to_pylist() for c in ("_source", "_table", "_row_id"))
    base = column.removesuffix("_enc")
    return [field_aad(s, t, base, r) for s, t, r in zip(source, tbl, row_id, strict=True)]


def _key_ids(table: Any, enc_cols: list[str]) -> set[str]:
    return {parse_header(b)[1] for c in enc_cols for b in table.column(c).to_pylist() if b}


def _stamp(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _compression_of(path: Path) -> str:
    """Keep the codec ingestion chose."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    if not meta.num_row_groups or not meta.num_columns:
        return "snappy"
    codec = meta.row_group(0).column(0).compression.lower()
    return {"uncompressed": "none", "lz4_raw": "lz4"}.get(codec, codec)


def _rewrite_file(path: Path, enc: FieldEncryptor, report: RotationReport) -> set[str]:
    """Re-encrypt the stale blobs of one file; returns the key ids it references afterwards."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not any(name.endswith("_enc") for name in pq.read_schema(path).names):
        return set()
    stamp = _stamp(path)
    table = pq.read_table(path)
    enc_cols = [c for c in table.column_names if c.endswith("_enc")]
    changed = 0
    for col in enc_cols:
        blobs, n, failed = enc.reencrypt_many(table.column(col).to_pylist(),
                                              _row_aads(table, col))
        report.errors.extend(f"{path}: column {col}, row {i + 1}: {err}" for i, err in failed)
        if not n:
            continue
        changed += n
        idx = table.column_names.index(col)
        table = table.set_column(idx, table.field(idx), pa.array(blobs, type=table.field(idx).type))
    if changed:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.rotating")
        pq.write_table(table, tmp, compression=_compression_of(path))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if _stamp(path) != stamp:  # ingestion rewrote it meanwhile: theirs wins
            tmp.unlink(missing_ok=True)
            report.errors.append(f"{path}: changed during rotation; left for the next run")
            return _key_ids(pq.read_table(path), enc_cols)
        os.replace(tmp, path)
        report.files_rewritten += 1
        report.values_reencrypted += changed
    return _key_ids(table, enc_cols)


def rotate_and_reencrypt(settings: Settings, *, purpose: str = "field",
                         keyring: Keyring | None = None) -> RotationReport:
    """Rotate field keys, person keys or both (``"all"``), re-encrypt the raw layer and
    quarantine, and retire (disable) old keys nothing references any more.

    The token key is never rotated here: that re-tokenises every record and breaks joins.
    """
    if purpose not in ROTATABLE:
        raise ValueError(
            f"rotate_and_reencrypt rotates {ROTATABLE}, not {purpose!r}: rotating the "
            "token key re-tokenises every record and breaks joins (use Keyring.rotate('token') "
            "and re-ingest deliberately)."
        )
    ring = keyring or open_keyring(settings)
    report = RotationReport(purpose)
    if purpose in ("field", "all"):
        report.new_keys = [r.key_id for r in ring.rotate("field")]
    if purpose in ("person", "all"):
        report.new_person_keys = ring.rotate_persons()
    enc = FieldEncryptor(ring, settings.cipher)
    referenced: set[str] = set()
    for path in _parquet_files(settings):
        report.files_scanned += 1
        referenced |= _rewrite_file(path, enc, report)
    if report.files_rewritten:
        mark_raw_rewritten(settings, f"rotation ({purpose})")
    for rec in ring.records("field"):
        if rec.state != "enabled" or rec.primary:
            continue
        if rec.key_id in referenced:
            report.still_referenced.append(rec.key_id)
        else:
            ring.retire(rec.key_id)
            report.retired_keys.append(rec.key_id)
    report.retired_person_keys, report.person_keys_still_referenced = ring.retire_persons(
        {k for k in referenced if k.startswith("p")})
    log.info(
        "rotation (%s): %d field + %d person keys new, %d/%d files rewritten, %d values, "
        "%d field + %d person keys retired, %d + %d kept, %d errors",
        purpose, len(report.new_keys), report.new_person_keys, report.files_rewritten,
        report.files_scanned, report.values_reencrypted, len(report.retired_keys),
        report.retired_person_keys, len(report.still_referenced),
        report.person_keys_still_referenced, len(report.errors),
    )
    return report


def shred_person(settings: Settings, id_token: str, *,
                 keyring: Keyring | None = None) -> list[str]:
    """Crypto-shred one person: destroy their data keys; returns the destroyed key ids.

    Their ciphertexts stay in place but decrypting them raises KeyDestroyedError (show
    NULL or "[erased]"), and their masked display forms are blanked in the raw layer;
    everyone else's values and the pipeline are unaffected.
    """
    from shared_exchange.security.erasure import scrub_masked_forms

    ring = keyring or open_keyring(settings)
    destroyed = ring.destroy_person(id_token)
    scrub_masked_forms(settings, id_token)
    return destroyed
