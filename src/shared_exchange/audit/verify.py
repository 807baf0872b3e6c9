"""The audit-log verifier: recomputes every hash, the chain and the Merkle roots of heads.

What each check catches:

- ``edited``: an event's bytes no longer hash to its stored ``hash``;
- ``chain_broken`` / ``sequence``: an event was deleted, inserted or moved (its ``prev``
  is not the hash of the line before it, or its ``seq`` is not its position);
- ``non_canonical`` / ``unreadable``: a line was rewritten by something other than the log;
- ``truncated``: the log is shorter than a head published earlier (rollback);
- ``head_mismatch``: the first N events no longer hash to the root published for N, which
  is how a forger who rewrote the whole chain consistently is still caught.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared_exchange.audit import merkle
from shared_exchange.audit.log import GENESIS, AuditLog, Head, canonical
from shared_exchange.config import Settings

__all__ = ["AuditVerificationError", "HeadCheck", "Problem", "VerifyResult", "verify"]

MAX_PROBLEMS = 200  # a wholesale rewrite would otherwise list every line


class AuditVerificationError(RuntimeError):
    """The audit log failed verification; ``result`` says where and how."""

    def __init__(self, result: VerifyResult) -> None:
        self.result = result
        first = "; ".join(p.describe() for p in result.problems[:3])
        super().__init__(f"audit log {result.path} failed verification "
                         f"({len(result.problems)} problem(s)): {first}")


@dataclass(frozen=True)
class Problem:
    kind: str
    detail: str
    line: int | None = None
    seq: int | None = None

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else "log"
        return f"{self.kind} at {where}: {self.detail}"


@dataclass(frozen=True)
class HeadCheck:
    head: str  # file the head was read from
    tree_size: int
    root: str
    published_at: str
    ok: bool
    detail: str
    consistency_proof: list[str] = field(default_factory=list)


@dataclass
class VerifyResult:
    path: Path
    tree_size: int = 0
    root: str = merkle.EMPTY_ROOT.hex()
    problems: list[Problem] = field(default_factory=list)
    heads: list[HeadCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            raise AuditVerificationError(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "path": str(self.path), "tree_size": self.tree_size,
            "root": self.root,
            "problems": [p.__dict__ for p in self.problems],
            "heads": [h.__dict__ for h in self.heads],
        }


def _check_lines(audit: AuditLog, result: VerifyResult) -> list[bytes]:
    leaves: list[bytes] = []
    prev = GENESIS

    def problem(kind: str, detail: str, line: int, seq: int | None = None) -> None:
        if len(result.problems) < MAX_PROBLEMS:
            result.problems.append(Problem(kind, detail, line, seq))

    for number, raw in audit.lines():
        try:
            event = json.loads(raw)
            stored, seq = str(event.pop("hash")), event.get("seq")
        except (ValueError, KeyError, TypeError, AttributeError):
            problem("unreadable", "not a JSON audit event with a hash", number)
            prev = ""  # nothing after it can chain to it
            leaves.append(merkle.leaf_hash(raw))
            continue
        body = canonical(event)
        leaf = merkle.leaf_hash(body)
        leaves.append(leaf)
        if leaf.hex() != stored:
            problem("edited", f"event seq {seq} does not hash to its stored hash", number, seq)
        if raw != canonical({**event, "hash": stored}):
            problem("non_canonical", "line was rewritten outside the log", number, seq)
        if event.get("prev") != prev:
            problem("chain_broken", f"event seq {seq} does not follow the line before it: "
                    "an event was deleted, inserted or reordered here", number, seq)
        if seq != number:
            problem("sequence", f"line {number} holds seq {seq}: events were deleted, "
                    "inserted or reordered", number, seq if isinstance(seq, int) else None)
        prev = stored
    return leaves


def _check_head(head: Head, leaves: list[bytes], current_root: bytes,
                prefix: dict[int, bytes], with_proof: bool) -> HeadCheck:
    name = str(head.path) if head.path else "<given>"
    size = len(leaves)

    def check(ok: bool, detail: str, proof: list[str] | None = None) -> HeadCheck:
        return HeadCheck(name, head.tree_size, head.root, head.published_at, ok, detail,
                         proof or [])

    if head.tree_size > size:
        return check(False, f"truncated: the log has {size} events but the head published "
                     f"at {head.published_at} covered {head.tree_size}")
    if head.tree_size == 0:
        return check(head.root == merkle.EMPTY_ROOT.hex(), "empty head")
    if prefix[head.tree_size].hex() != head.root:
        return check(False, f"head_mismatch: the first {head.tree_size} events no longer hash "
                     f"to the root published at {head.published_at}: history was rewritten")
    if not with_proof:
        return check(True, f"consistent: the current {size} events extend it")
    proof = merkle.consistency_proof(head.tree_size, leaves)
    consistent = merkle.verify_consistency(
        head.tree_size, size, bytes.fromhex(head.root), current_root, proof)
    return check(consistent, f"consistent: the current {size} events extend it",
                 [p.hex() for p in proof])


def verify(settings: Settings, against_head: Path | None = None) -> VerifyResult:
    """Verify the whole log, and against ``against_head`` (else every published head)."""
    audit = AuditLog(settings)
    result = VerifyResult(audit.path)
    leaves = _check_lines(audit, result)
    heads = [Head.load(against_head)] if against_head is not None else audit.heads()
    sizes = {h.tree_size for h in heads if h.tree_size <= len(leaves)} | {len(leaves)}
    prefix = merkle.prefix_roots(leaves, sizes)
    current = prefix[len(leaves)]
    result.tree_size, result.root = len(leaves), current.hex()
    for i, head in enumerate(heads):
        # a proof per head is O(n); the newest (or the given) head gets one, for auditors
        checked = _check_head(head, leaves, current, prefix, with_proof=i == len(heads) - 1)
        result.heads.append(checked)
        if not checked.ok:
            kind = checked.detail.split(":", 1)[0]
            result.problems.append(Problem(kind, f"{checked.head}: {checked.detail}"))
    return result
