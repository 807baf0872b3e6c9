"""Landing → raw ingestion: manifests, validation, protection, quarantine, idempotent loads."""

from shared_exchange.ingest.ledger import loaded_batches, summary
from shared_exchange.ingest.load import (
    BatchRef,
    BatchResult,
    discover_batches,
    ingest_batch,
    ingest_source,
)
from shared_exchange.ingest.manifest import ManifestError

__all__ = [
    "BatchRef",
    "BatchResult",
    "ManifestError",
    "discover_batches",
    "ingest_batch",
    "ingest_source",
    "loaded_batches",
    "summary",
]
