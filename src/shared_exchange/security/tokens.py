"""Join tokens: keyed HMAC (SHA-256 default, SM3 selectable) over normalised identifiers.

Departments' records join on tokens, never on clear values. The token key is one stable
key of purpose "token" (scope "join"); tokens stay equal across runs, processes and key
reloads. Rotating it (``Keyring.rotate("token")``) is a deliberate re-tokenisation: every
stored token changes, so joins between old and new data break until all raw data is
re-tokenised from the landing files. ``keys rotate`` therefore never touches it by default.
"""

from __future__ import annotations

import hmac as std_hmac
import re
from collections.abc import Iterable
from functools import cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from shared_exchange.security.errors import UnsupportedCipherError
from shared_exchange.security.keyring import TOKEN_SCOPE, Keyring

MAC_NAMES = ("hmac-sha256", "hmac-sm3")
TOKEN_KINDS = ("id", "name", "name_pinyin", "phone")
_KIND = re.compile(r"[a-z][a-z0-9_]*")


@cache
def _check_sm3_support() -> None:
    try:
        mac = crypto_hmac.HMAC(bytes(32), hashes.SM3())
        mac.update(b"probe")
        mac.finalize()
    except (UnsupportedAlgorithm, AttributeError) as exc:
        raise UnsupportedCipherError(
            "HMAC-SM3 is not available: it needs cryptography>=44 linked against an OpenSSL "
            "with SM3 enabled. Install such a build or set SHARED_EXCHANGE_TOKEN_MAC=hmac-sha256."
        ) from exc


class Tokenizer:
    """Stable, domain-separated join tokens: hex HMAC over ``f"{kind}\\x00{value}"``."""

    def __init__(self, keyring: Keyring, mac: str = "hmac-sha256") -> None:
        if mac not in MAC_NAMES:
            raise UnsupportedCipherError(
                f"unknown token MAC {mac!r}: SHARED_EXCHANGE_TOKEN_MAC must be one of {MAC_NAMES}"
            )
        if mac == "hmac-sm3":
            _check_sm3_support()
        self.mac = mac
        self.keyring = keyring
        self.key_id = keyring.primary("token", TOKEN_SCOPE, algorithm=mac).key_id
        self._key = keyring.data_key(self.key_id)
        self._prefixes: dict[str, bytes] = {}

    def _prefix(self, kind: str) -> bytes:
        prefix = self._prefixes.get(kind)
        if prefix is None:
            # Kinds are identifiers (no NUL), so "kind\0value" cannot collide across kinds.
            if not _KIND.fullmatch(kind):
                raise ValueError(f"token kind {kind!r} must be a lowercase identifier")
            prefix = self._prefixes[kind] = kind.encode("ascii") + b"\x00"
        return prefix

    def token(self, value: str, kind: str) -> str:
        """Hex token of a normalised value (normalise first: identity.normalise_id/_name)."""
        if not value:
            raise ValueError(f"an empty {kind} has no token (missing values must never join)")
        msg = self._prefix(kind) + value.encode("utf-8")
        if self.mac == "hmac-sha256":
            return std_hmac.digest(self._key, msg, "sha256").hex()
        mac = crypto_hmac.HMAC(self._key, hashes.SM3())
        mac.update(msg)
        return mac.finalize().hex()

    def token_many(self, values: Iterable[str | None], kind: str) -> list[str | None]:
        """Tokens for a column; None (and "") stay None so missing values never join."""
        prefix, key = self._prefix(kind), self._key
        if self.mac == "hmac-sha256":
            digest = std_hmac.digest
            return [digest(key, prefix + v.encode("utf-8"), "sha256").hex() if v else None
                    for v in values]
        out: list[str | None] = []
        for v in values:
            if not v:
                out.append(None)
                continue
            mac = crypto_hmac.HMAC(key, hashes.SM3())
            mac.update(prefix + v.encode("utf-8"))
            out.append(mac.finalize().hex())
        return out
