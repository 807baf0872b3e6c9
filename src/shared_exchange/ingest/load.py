"""Landing → raw: discover batches, verify, parse, validate, protect, write; the DAGs call this.

``ingest_batch`` is idempotent over its batch id: a batch in the ledger as loaded is
skipped; otherwise every output file of the batch is (re)written and the ledger entry comes
last, so a crash mid-way leaves no entry and the rerun overwrites the same files. Nothing
depends on the wall clock: timestamps come from the manifest's ``extracted_at``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from shared_exchange.config import Settings
from shared_exchange.contracts.records import ParsedRow
from shared_exchange.ingest import ledger, writer
from shared_exchange.ingest.manifest import (
    MANIFEST,
    Manifest,
    ManifestError,
    ManifestFile,
    check_count,
    fingerprint,
    open_verified,
    read_manifest,
)
from shared_exchange.ingest.protect import Protector, data_scope
from shared_exchange.ingest.quarantine import QuarantineRows
from shared_exchange.ingest.validate import validate_rows
from shared_exchange.raw_rewrites import mark_raw_rewritten

log = logging.getLogger(__name__)
_PROTECTORS: dict[tuple[int, Path, str, str], Protector] = {}
# Seconds per ingestion stage in this process (read by bench/bench_ingest.py).
STAGE_SECONDS: Counter[str] = Counter()


@dataclass(frozen=True, order=True)
class BatchRef:
    """A batch folder in the landing zone: ``<landing>/<source>/<business_date>/<batch_id>``."""

    business_date: dt.date
    batch_id: str
    source: str
    path: Path

    @classmethod
    def from_path(cls, path: Path) -> BatchRef:
        path = Path(path)
        try:
            day = dt.date.fromisoformat(path.parent.name)
        except ValueError:
            raise ValueError(f"{path}: not a batch folder <source>/<yyyy-MM-dd>/<batch_id>") \
                from None
        return cls(day, path.name, path.parent.parent.name, path)


@dataclass
class BatchResult:
    """What happened to one batch; ``ledger`` is its ledger entry."""

    source: str
    batch_id: str
    status: str  # loaded | rejected | skipped
    delivered: int
    loaded: int
    quarantined: int
    reason: str | None
    ledger: dict[str, Any]
    seconds: float = 0.0
    written: list[Path] = field(default_factory=list)

    def to_summary(self) -> dict[str, Any]:
        """Small, PII-free facts for Airflow XCom and logs."""
        return {"source": self.source, "batch_id": self.batch_id, "status": self.status,
                "delivered": self.delivered, "loaded": self.loaded,
                "quarantined": self.quarantined, "reason": self.reason,
                "seconds": round(self.seconds, 3)}


def protector_for(settings: Settings) -> Protector:
    """One keyring/encryptor/tokenizer per process and deployment."""
    key = (os.getpid(), settings.home, settings.cipher, settings.token_mac)
    if key not in _PROTECTORS:
        _PROTECTORS[key] = Protector(settings)
    return _PROTECTORS[key]


def discover_batches(settings: Settings, source: str,
                     up_to: dt.date | None = None) -> list[BatchRef]:
    """Batches with a manifest not yet loaded (or rejected but re-delivered), oldest first."""
    root = settings.landing / source
    found: list[BatchRef] = []
    for manifest in root.glob(f"*/*/{MANIFEST}") if root.is_dir() else []:
        try:
            ref = BatchRef.from_path(manifest.parent)
        except ValueError:
            log.warning("skipping %s: the date folder is not yyyy-MM-dd", manifest.parent)
            continue
        if up_to is not None and ref.business_date > up_to:
            continue
        entry = ledger.read_entry(settings, source, ref.batch_id)
        if entry is not None and (entry.get("status") == "loaded"
                                  or entry.get("fingerprint") == fingerprint(ref.path)):
            continue
        found.append(ref)
    return sorted(found)


def ingest_source(settings: Settings, source: str,
                  up_to: dt.date | None = None) -> list[BatchResult]:
    """Ingest every pending batch of one department, oldest first."""
    return [ingest_batch(settings, ref) for ref in discover_batches(settings, source, up_to)]


def ingest_batch(settings: Settings, batch: BatchRef | Path, *,
                 force: bool = False) -> BatchResult:
    """Load one batch into raw + quarantine + ledger; skip it if already loaded (unless force)."""
    ref = batch if isinstance(batch, BatchRef) else BatchRef.from_path(batch)
    started = time.perf_counter()
    entry = ledger.read_entry(settings, ref.source, ref.batch_id)
    if entry is not None and entry.get("status") == "loaded" and not force:
        log.info("batch %s/%s already loaded; skipped", ref.source, ref.batch_id)
        return BatchResult(ref.source, ref.batch_id, "skipped", entry["delivered"],
                           entry["loaded"], entry["quarantined"], entry.get("reason"), entry)
    if entry is not None and entry.get("status") == "loaded":
        # forced reload: the batch's raw files change in place, which staging (it merges only
        # batches it has not seen) would miss; the next build becomes a full refresh
        mark_raw_rewritten(settings, f"reload of {ref.source}/{ref.batch_id}")
    manifest: Manifest | None = None
    try:
        manifest = read_manifest(ref.path)
        writer.ensure_schema_files(settings, ref.source)
        result = _load(settings, manifest, ref)
    except ManifestError as exc:
        return _reject(settings, ref, manifest, exc, started)
    result.seconds = time.perf_counter() - started
    log.info("batch %s/%s loaded: %d delivered, %d loaded, %d quarantined in %.2fs",
             ref.source, ref.batch_id, result.delivered, result.loaded, result.quarantined,
             result.seconds)
    return result


# Rows parsed, validated, protected and written at a time: memory follows this, not the file.
CHUNK_ROWS = 50_000


@dataclass
class _FileLoad:
    """Counts of one delivered file as its chunks go through."""

    delivered: int = 0
    loaded: int = 0
    quarantined: int = 0
    empty: int = 0  # record elements holding no row: quarantined, never counted by the sender
    extras: set[str] = field(default_factory=set)


def _load(settings: Settings, manifest: Manifest, ref: BatchRef) -> BatchResult:
    """Every file of the batch, one chunk at a time, into staged raw files; committed only
    when every file matched its manifest (sha256 and record count), else ManifestError and
    nothing is left behind."""
    department = importlib.import_module(f"shared_exchange.contracts.{manifest.source}")
    protector = protector_for(settings)
    scope = data_scope(manifest.source, manifest.business_date.isoformat())
    quarantine = QuarantineRows(manifest.source, manifest.batch_id, manifest.business_date)
    files, staged = [], []
    try:
        for f in manifest.files:
            t0 = time.perf_counter()
            # Hashed here ("read"); its bytes are read as parsed, one chunk of rows at a time.
            with open_verified(manifest, f) as delivered:
                STAGE_SECONDS["read"] += time.perf_counter() - t0
                out = writer.StagedTable(settings, manifest.source, f.table, manifest.batch_id)
                staged.append(out)
                counts = _FileLoad()
                parsed = iter(department.parse(f.name, delivered, manifest.contract_version))
                for chunk in _timed_chunks(parsed):
                    _load_chunk(manifest, f, chunk, out, protector, scope, quarantine, counts)
                del parsed
            check_count(manifest, f, counts.delivered - counts.empty)
            if counts.extras:
                log.warning("batch %s file %s carries columns not in the contract: %s",
                            manifest.batch_id, f.name, sorted(counts.extras))
            files.append({"name": f.name, "table": f.table, "delivered": counts.delivered,
                          "loaded": counts.loaded, "quarantined": counts.quarantined,
                          "extra_columns": sorted(counts.extras)})
    except BaseException:
        for out in staged:
            out.abort()
        raise
    written = [out.commit() for out in staged]
    written.append(writer.write_quarantine(settings, manifest.source, manifest.batch_id,
                                           quarantine.columns(protector, scope)))
    entry = _entry(manifest, "loaded", None, files, quarantine.reasons())
    ledger.write_entry(settings, entry)
    return BatchResult(manifest.source, manifest.batch_id, "loaded", entry["delivered"],
                       entry["loaded"], entry["quarantined"], None, entry, written=written)


def _timed_chunks(parsed: Iterator) -> Iterator[list]:
    """CHUNK_ROWS parsed items at a time, the parsing counted as the parse stage."""
    while True:
        t0 = time.perf_counter()
        chunk = list(islice(parsed, CHUNK_ROWS))
        STAGE_SECONDS["parse"] += time.perf_counter() - t0
        if not chunk:
            return
        yield chunk


def _load_chunk(manifest: Manifest, f: ManifestFile, chunk: list, out: writer.StagedTable,
                protector: Protector, scope: str, quarantine: QuarantineRows,
                counts: _FileLoad) -> None:
    t0 = time.perf_counter()
    rows = [item for item in chunk if isinstance(item, ParsedRow)]
    errors = [item for item in chunk if not isinstance(item, ParsedRow)]
    counts.empty += sum(1 for e in errors if e.reason_code == "empty_record")
    checked = validate_rows(f.contract, rows)
    errors += checked.errors
    quarantine.add(f.name, f.table, f.contract.encoding, errors)
    row_ids = [f"{manifest.batch_id}/{f.name}/{r.line}" for r in checked.rows]
    t1 = time.perf_counter()
    columns = protector.protect(f.contract, checked.columns, row_ids, scope)
    columns.update(_metadata(manifest, f.name, f.table, checked.rows, row_ids))
    t2 = time.perf_counter()
    out.write(columns)
    STAGE_SECONDS["validate"] += t1 - t0
    STAGE_SECONDS["protect"] += t2 - t1
    STAGE_SECONDS["write"] += time.perf_counter() - t2
    counts.delivered += len(chunk)
    counts.loaded += len(checked.rows)
    counts.quarantined += len(errors)
    counts.extras.update(c for r in rows for c in r.extra_columns)


def _metadata(manifest: Manifest, file: str, table: str, rows: list[ParsedRow],
              row_ids: list[str]) -> dict[str, list]:
    n = len(rows)
    return {
        "_source": [manifest.source] * n, "_table": [table] * n,
        "_batch_id": [manifest.batch_id] * n, "_business_date": [manifest.business_date] * n,
        "_extracted_at": [manifest.extracted_at] * n,
        "_contract_version": [manifest.contract_version] * n, "_source_file": [file] * n,
        "_line": [r.line for r in rows], "_row_id": row_ids,
    }


def _entry(manifest: Manifest, status: str, reason: str | None, files: list[dict],
           reasons: dict[str, int]) -> dict[str, Any]:
    return {
        "source": manifest.source, "batch_id": manifest.batch_id,
        "business_date": manifest.business_date.isoformat(),
        "contract_version": manifest.contract_version,
        "extracted_at": manifest.extracted_at.isoformat(),
        "status": status, "reason": reason, "files": files,
        "delivered": sum(f["delivered"] for f in files),
        "loaded": sum(f["loaded"] for f in files),
        "quarantined": sum(f["quarantined"] for f in files),
        "quarantine_reasons": reasons,
        "manifest_sha256": manifest.sha256, "fingerprint": fingerprint(manifest.folder),
    }


def _reject(settings: Settings, ref: BatchRef, manifest: Manifest | None, exc: ManifestError,
            started: float) -> BatchResult:
    """A batch that does not match its manifest loads nothing; every row counts as rejected."""
    writer.remove_batch_files(settings, ref.source, ref.batch_id)
    files = [{"name": f.name, "table": f.table, "delivered": f.records, "loaded": 0,
              "quarantined": f.records, "extra_columns": []}
             for f in (manifest.files if manifest else ())]
    delivered = sum(f["delivered"] for f in files)
    entry = {
        "source": ref.source, "batch_id": ref.batch_id,
        "business_date": ref.business_date.isoformat(),
        "contract_version": manifest.contract_version if manifest else None,
        "extracted_at": manifest.extracted_at.isoformat() if manifest else None,
        "status": "rejected", "reason": str(exc), "files": files,
        "delivered": delivered, "loaded": 0, "quarantined": delivered,
        "quarantine_reasons": {"batch_rejected": delivered} if delivered else {},
        "manifest_sha256": manifest.sha256 if manifest else None,
        "fingerprint": fingerprint(ref.path) if ref.path.is_dir() else None,
    }
    ledger.write_entry(settings, entry)
    log.error("batch %s/%s rejected: %s", ref.source, ref.batch_id, exc.what)
    return BatchResult(ref.source, ref.batch_id, "rejected", delivered, 0, delivered, str(exc),
                       entry, time.perf_counter() - started)
