"""Audit events for gateway decisions: one per query, plus one per sealed access (§4).

Fail closed: if an event cannot be written the caller's query does not return rows.
Events carry the statement fingerprint, never the SQL text or its literals. When the
audit log refuses a field because it looked like clear PII (a purpose or a refusal reason
echoing what the caller typed), the event is written again with that field redacted, so
the decision is still on record.
"""

from __future__ import annotations

from typing import Any

from shared_exchange.audit import AuditPIIError, record_event
from shared_exchange.config import Settings

__all__ = ["record_decision"]

_REDACTED = "<redacted: looked like personal data>"


def _record(settings: Settings, event_type: str, ctx: dict[str, Any], decision: str,
            reason: str, **fields: Any) -> str:
    base = {"actor": ctx["actor"], "role": ctx["role"], "decision": decision}
    try:
        return record_event(settings, event_type, reason=reason, purpose=ctx["purpose"],
                            **base, **fields)
    except AuditPIIError:
        return record_event(settings, event_type, reason=_REDACTED if reason else "",
                            purpose=_REDACTED, **base, **fields)


def record_decision(settings: Settings, ctx: dict[str, Any], decision: str, reason: str, *,
                    rule: str | None = None, plan: Any = None, rows: int | None = None) -> None:
    """Audit one gateway decision (allowed | rewritten | denied)."""
    fields: dict[str, Any] = {
        "statement_fingerprint": ctx["fingerprint"],
        "policy_version": ctx["policy_version"],
        "region": ctx.get("region"),
        "rows_returned": rows if plan is not None else 0,
    }
    if plan is not None:
        fields.update(datasets=sorted(plan.views), columns=sorted(plan.columns),
                      masked=bool(plan.masked), masked_columns=plan.masked,
                      sealed=plan.sealed)
    else:
        fields.update(rule=rule)
    _record(settings, f"query.{decision}", ctx, decision, reason, **fields)
    if plan is not None and plan.sealed:
        _record(settings, "sealed_access", ctx, "allowed", "sealed rows visible to query",
                **fields)
