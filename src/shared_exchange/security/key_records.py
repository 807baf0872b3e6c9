"""What may be said about a key without its material: records, purposes, states, sizes."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

PURPOSES = ("field", "token", "person")
STATES = ("enabled", "disabled", "destroyed")
KEY_BYTES = {"aes-256-gcm": 32, "sm4-gcm": 16, "hmac-sha256": 32, "hmac-sm3": 32}
TOKEN_SCOPE = "join"  # the one stable token key: rotating it re-tokenises everything


@dataclass(frozen=True)
class KeyRecord:
    """What reports may show about a key: never its material."""

    key_id: str
    purpose: str
    scope: str
    algorithm: str
    state: str
    created_at: str
    retired_at: str | None = None
    destroyed_at: str | None = None
    primary: bool = False


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_key_id(prefix: str) -> str:
    return prefix + os.urandom(10).hex()
