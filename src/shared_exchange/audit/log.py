"""The append-only audit log: one canonical-JSON event per line, hash-chained, Merkle leaves.

Each line is an event whose ``hash`` is its RFC 6962 leaf hash (SHA-256 of 0x00 and the
canonical JSON of every other field, ``prev`` included) and whose ``prev`` is the hash of
the line before. Appends take an exclusive ``fcntl`` lock on the log and fsync before the
lock is released, so the four ingestion DAGs and the gateway can append at the same time.
A published head (tree size and Merkle root) lets a later verifier detect truncation.

Events never carry clear PII or SQL literals: callers pass statement fingerprints and
tokens, and ``record_event`` refuses any value the leak detector reads as a clear ID
number or phone (fail closed: the caller's action should not proceed unaudited).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared_exchange.audit import merkle
from shared_exchange.config import Settings
from shared_exchange.fsutil import fsync_dir
from shared_exchange.reports.leak_patterns import pii_kind_in

__all__ = [
    "GENESIS",
    "KNOWN_EVENT_TYPES",
    "AuditLog",
    "AuditLogError",
    "AuditPIIError",
    "Head",
    "canonical",
    "publish_head",
    "record_event",
]

log = logging.getLogger(__name__)

GENESIS = "0" * 64
KNOWN_EVENT_TYPES = (
    "query.allowed", "query.rewritten", "query.denied", "unmask", "sealed_access",
    "key.created", "key.rotated", "key.retired", "key.destroyed", "person.shredded",
    "policy.changed", "pipeline.published", "pipeline.rollback", "pipeline.gate_failed",
)
# Every event carries the baseline §4 fields, null when they do not apply, so that
# automation reads one shape.
STANDARD_FIELDS: dict[str, Any] = {
    "purpose": None, "approver": None, "statement_fingerprint": None, "datasets": [],
    "columns": [], "masked": None, "rows_returned": None, "policy_version": None,
}
_RESERVED = frozenset({"seq", "time", "type", "actor", "role", "decision", "reason", "prev",
                       "hash"})
_EVENT_TYPE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)*$")


class AuditLogError(RuntimeError):
    """The log cannot be appended to or read (damaged tail, unreadable line)."""


class AuditPIIError(ValueError):
    """An event field looked like clear PII; the event was not written."""


def canonical(obj: Any) -> bytes:
    """The one byte form that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _plain(value: Any, where: str) -> Any:
    """JSON-safe copy of a field value; sets and tuples become lists (sets sorted)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError(f"audit field {where!r}: floats are not canonical; pass an int or str")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(_plain(v, where) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(f"audit field {where!r}: unsupported type {type(value).__name__}")


def _refuse_pii(event_type: str, value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_pii(event_type, item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_pii(event_type, item, f"{where}[{i}]")
    elif isinstance(value, str | int) and not isinstance(value, bool):
        kind = pii_kind_in(str(value))
        if kind:
            # The value itself is never echoed: the message may end up in a log.
            raise AuditPIIError(
                f"audit event {event_type!r}: field {where!r} looks like a clear {kind}; "
                "record a token or statement fingerprint instead (value not shown)"
            )


@dataclass(frozen=True)
class Head:
    """A published tree head: the first ``tree_size`` events hash to ``root``."""

    tree_size: int
    root: str
    last_hash: str
    published_at: str
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {"tree_size": self.tree_size, "root": self.root, "last_hash": self.last_hash,
                "published_at": self.published_at, "algorithm": "rfc6962-sha256"}

    @classmethod
    def load(cls, path: Path) -> Head:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(raw["tree_size"]), str(raw["root"]), str(raw["last_hash"]),
                       str(raw["published_at"]), path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuditLogError(f"{path}: not a readable audit head ({exc}); "
                                "restore it from the published report") from exc


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class AuditLog:
    """The log file of one deployment: ``Settings.audit / "audit.log"``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.audit / "audit.log"
        self.heads_dir = settings.audit / "heads"

    # -- writing --
    def append(self, event_type: str, *, actor: str, role: str, decision: str,
               reason: str = "", **fields: Any) -> str:
        if not _EVENT_TYPE.match(event_type or ""):
            raise ValueError(f"audit event type {event_type!r} must look like 'query.denied'")
        if not actor or not role or not decision:
            raise ValueError(f"audit event {event_type!r} needs actor, role and decision")
        clash = _RESERVED & fields.keys()
        if clash:
            raise ValueError(f"audit event {event_type!r}: {sorted(clash)} are set by the log")
        if event_type not in KNOWN_EVENT_TYPES:
            log.warning("audit event type %s is not one of the known types", event_type)
        body = {**STANDARD_FIELDS, **{k: _plain(v, k) for k, v in fields.items()}}
        body.update(type=event_type, actor=actor, role=role, decision=decision, reason=reason)
        _refuse_pii(event_type, body, "event")
        self.settings.audit.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            seq, prev = self._tail(fd)
            event = {**body, "seq": seq + 1, "time": _utc_now(), "prev": prev}
            digest = merkle.leaf_hash(canonical(event)).hex()
            line = canonical({**event, "hash": digest}) + b"\n"
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the flock
        if seq == 0:
            fsync_dir(self.settings.audit)
        return digest

    def _tail(self, fd: int) -> tuple[int, str]:
        """(seq, hash) of the last event; (0, GENESIS) for an empty log."""
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, GENESIS
        chunk, start = b"", size
        while start > 0 and chunk.count(b"\n") < 2:
            start = max(0, start - 65536)
            chunk = os.pread(fd, size - start, start)
        if not chunk.endswith(b"\n"):
            raise AuditLogError(f"{self.path}: the last line is incomplete (torn write?); "
                                "run `shared-exchange audit verify` before appending")
        last = chunk[:-1].rsplit(b"\n", 1)[-1]
        try:
            event = json.loads(last)
            return int(event["seq"]), str(event["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditLogError(f"{self.path}: the last line is not an audit event; "
                                "run `shared-exchange audit verify`") from exc

    # -- reading --
    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw line without newline) for every line of the log."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for number, line in enumerate(fh, start=1):
                yield number, line.rstrip(b"\n")

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event as written (unverified: use ``verify`` to trust them)."""
        for number, line in self.lines():
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise AuditLogError(f"{self.path}:{number}: not a JSON event") from exc

    def leaf_hashes(self) -> list[bytes]:
        """Leaf hashes recomputed from the event bytes (not the stored ``hash`` fields)."""
        leaves = []
        for event in self.events():
            event.pop("hash", None)
            leaves.append(merkle.leaf_hash(canonical(event)))
        return leaves

    def heads(self) -> list[Head]:
        """Published heads, oldest first."""
        if not self.heads_dir.exists():
            return []
        found = [Head.load(p) for p in self.heads_dir.glob("*.json")]
        return sorted(found, key=lambda h: (h.tree_size, h.published_at))

    def publish_head(self) -> Head:
        """Write ``heads/<tree_size>.json`` for the log as it is now (under the append lock)."""
        self.settings.audit.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # no append can land between reading and hashing
            leaves = self.leaf_hashes()
            _, last = self._tail(fd)
        finally:
            os.close(fd)
        head = Head(len(leaves), merkle.root(leaves).hex(), last, _utc_now())
        self.heads_dir.mkdir(parents=True, exist_ok=True)
        target = self.heads_dir / f"{head.tree_size:012d}.json"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(head.to_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, target)
        log.info("published audit head: %d events, root %s", head.tree_size, head.root[:16])
        return Head(head.tree_size, head.root, head.last_hash, head.published_at, target)


def record_event(settings: Settings, event_type: str, *, actor: str, role: str,
                 decision: str, reason: str = "", **fields: Any) -> str:
    """Append one audit event; returns its hash (the RFC 6962 leaf hash, hex)."""
    return AuditLog(settings).append(event_type, actor=actor, role=role, decision=decision,
                                     reason=reason, **fields)


def publish_head(settings: Settings) -> Head:
    """Publish the current tree head (done with every security report)."""
    return AuditLog(settings).publish_head()
