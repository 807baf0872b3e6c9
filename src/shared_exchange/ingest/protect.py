"""PII columns → ``<column>_enc`` ciphertext, masked display forms and join tokens, column-wise.

Clear values of ``pi`` ∈ id_number/name/phone/address never leave this module: they are
replaced by AEAD blobs (data key per dataset and month; per-person key when the row has an
ID number, so a person can be crypto-shredded), keyed-HMAC tokens and ``<column>_masked``,
the display form of security-baseline §3 computed here in memory by
:mod:`shared_exchange.security.masking` (it keeps no more than its mask rule shows).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from shared_exchange.config import Settings
from shared_exchange.contracts.schema import Contract
from shared_exchange.identity import IdInfo, name_pinyin, normalise_id, normalise_name
from shared_exchange.security import FieldEncryptor, Tokenizer, open_keyring
from shared_exchange.security.masking import mask_value

log = logging.getLogger(__name__)


def data_scope(source: str, business_date_iso: str) -> str:
    """Field-key scope: the dataset and the business month (``police/2022-03``)."""
    return f"{source}/{business_date_iso[:7]}"


@dataclass
class CryptoTimer:
    """Seconds spent in encryption and tokenisation (for the ingestion benchmark)."""

    encrypt: float = 0.0
    tokenise: float = 0.0
    values: int = field(default=0)


class Protector:
    """Holds the keyring, encryptor and tokenizer for one ingestion process."""

    def __init__(self, settings: Settings) -> None:
        keyring = open_keyring(settings)
        self.encryptor = FieldEncryptor(keyring, cipher=settings.cipher)
        self.tokenizer = Tokenizer(keyring, mac=settings.token_mac)
        self.timer = CryptoTimer()

    def _tokens(self, values: Sequence[str | None], kind: str) -> list[str | None]:
        """Tokens with a per-call memo: one person appears on many rows of a batch."""
        start = time.perf_counter()
        distinct = list({v for v in values if v})
        table = dict(zip(distinct, self.tokenizer.token_many(distinct, kind), strict=True))
        self.timer.tokenise += time.perf_counter() - start
        return [table.get(v) if v else None for v in values]

    def encrypt_columns(self, columns: dict[str, tuple[list[str | None], list[str]]],
                        scope: str, subjects: Sequence[str | None] | None
                        ) -> dict[str, list[bytes | None]]:
        start = time.perf_counter()
        out = self.encryptor.encrypt_columns(columns, scope, subjects)
        self.timer.encrypt += time.perf_counter() - start
        self.timer.values += sum(len(values) for values, _ in columns.values())
        return out

    def protect(self, contract: Contract, columns: dict[str, list], row_ids: Sequence[str],
                scope: str) -> dict[str, list]:
        """Raw-layer columns for one table: clear non-PII, ``*_enc`` blobs and tokens."""
        out: dict[str, list] = {}
        subjects: list[str | None] | None = None
        id_field = next((f for f in contract.fields if f.pi == "id_number"), None)
        if id_field is not None:
            ids = columns[id_field.column]
            infos = _id_infos(ids)
            subjects = self._tokens([i.normalised if i else None for i in infos], "id")
            out["id_token"] = subjects
            out["id_status"] = [i.status if i else None for i in infos]
            out["id_birth_date"] = [i.birth_date if i else None for i in infos]
            out["id_region_code"] = [i.region_code if i else None for i in infos]
        plain: dict[str, tuple[list[str | None], list[str]]] = {}
        for f in contract.fields:
            values = columns[f.column]
            if not f.encrypted:
                out[f.column] = values
                continue
            if f.pi == "name":
                names = [normalise_name(v) if v else None for v in values]
                out["name_token"] = self._tokens(names, "name")
                out["name_pinyin_token"] = self._tokens(
                    [name_pinyin(n) if n else None for n in names], "name_pinyin")
            prefix = f"{contract.source}.{contract.table}|{f.column}|"
            plain[f"{f.column}_enc"] = (values, [prefix + r for r in row_ids])
            out[f"{f.column}_enc"] = []  # filled below; keeps the raw table's column order
            out[f"{f.column}_masked"] = masked_column(f.pi, values)
        # One call per table: each person's key is resolved and prepared once, not per column.
        out.update(self.encrypt_columns(plain, scope, subjects))
        return out


def masked_column(pi: str, values: Sequence[str | None]) -> list[str | None]:
    """Display forms (``330106********1234``, ``张*`` …) of one PII column; blank → NULL.

    A legacy 15-digit ID is masked on its normalised 18-digit form (``masking.mask_id``), so
    every masked ID has one shape and the legacy number's birth digits never show.
    """
    return [(mask_value(pi, v) or None) if v else None for v in values]


# One person's number recurs across a batch's files and across batches; normalise once.
_normalise_id = lru_cache(maxsize=1 << 18)(normalise_id)


def _id_infos(ids: Sequence[str | None]) -> list[IdInfo | None]:
    return [_normalise_id(raw) if raw else None for raw in ids]
