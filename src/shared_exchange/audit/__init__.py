"""Tamper-evident audit log (RFC 6962 Merkle leaves, hash-chained lines) and its verifier.

Exceptions::

    AuditLogError (RuntimeError)      the log cannot be appended to or read
    AuditPIIError (ValueError)        an event value looked like clear PII; not written
    AuditVerificationError (RuntimeError)  verification found tampering (``.result``)
"""

from shared_exchange.audit.log import (
    KNOWN_EVENT_TYPES,
    AuditLog,
    AuditLogError,
    AuditPIIError,
    Head,
    publish_head,
    record_event,
)
from shared_exchange.audit.verify import AuditVerificationError, VerifyResult, verify

__all__ = [
    "KNOWN_EVENT_TYPES",
    "AuditLog",
    "AuditLogError",
    "AuditPIIError",
    "AuditVerificationError",
    "Head",
    "VerifyResult",
    "publish_head",
    "record_event",
    "verify",
]
