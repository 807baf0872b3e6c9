"""Where the leak scan's needles come from: the raw layer decrypted in memory, or landing files.

The security report decrypts the raw layer's ``<column>_enc`` cells with the deployment's
keys (values live only in this process's memory); tests and the synthetic pipeline can also
read the clear values straight from the landing zone, where they legitimately are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from shared_exchange.config import Settings
from shared_exchange.contracts.readers import ParsedRow, read_records
from shared_exchange.contracts.schema import all_contracts, contract_for_file
from shared_exchange.reports.leak_patterns import Needles

__all__ = ["NEEDLE_PI", "needles_from_landing", "needles_from_raw"]

log = logging.getLogger(__name__)

NEEDLE_PI = ("id_number", "phone", "name")


def _pi_columns(source: str, table: str) -> dict[str, str]:
    """column → pi kind for the PII columns of ``source``/``table`` over all contract versions."""
    found: dict[str, str] = {}
    for contract in all_contracts():
        if contract.source == source and contract.table == table:
            found.update({f.column: f.pi for f in contract.fields if f.pi in NEEDLE_PI})
    return found


def _collect(values: Iterator[tuple[str, str | None]], source: str) -> Needles:
    buckets: dict[str, list[str]] = {pi: [] for pi in NEEDLE_PI}
    for pi, value in values:
        if value:
            buckets[pi].append(value)
    return Needles.of(buckets["id_number"], buckets["phone"], buckets["name"], source=source)


def _landing_values(settings: Settings) -> Iterator[tuple[str, str | None]]:
    for manifest in sorted(settings.landing.glob("*/*/*/manifest.json")):
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
            source, version = str(meta["source"]), meta.get("contract_version", 1)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("needles: skipping %s (%s)", manifest, exc)
            continue
        for data_file in sorted(manifest.parent.iterdir()):
            contract = contract_for_file(source, data_file.name, version)
            if contract is None:
                continue
            pi_cols = {f.column: f.pi for f in contract.fields if f.pi in NEEDLE_PI}
            for parsed in read_records(data_file.read_bytes(), contract):
                if isinstance(parsed, ParsedRow):
                    for column, pi in pi_cols.items():
                        yield pi, parsed.values.get(column)


def needles_from_landing(settings: Settings) -> Needles:
    """Clear IDs, phones and names of every person delivered to the landing zone."""
    return _collect(_landing_values(settings), "landing zone")


def _raw_values(settings: Settings) -> Iterator[tuple[str, str | None]]:
    import pyarrow.parquet as pq

    from shared_exchange.security import FieldEncryptor, field_aad, open_keyring

    encryptor = FieldEncryptor(open_keyring(settings), settings.cipher)
    for path in sorted(settings.raw.glob("*/*/*.parquet")):
        source, table = path.parent.parent.name, path.parent.name
        pi_cols = _pi_columns(source, table)
        wanted = [f"{c}_enc" for c in pi_cols]
        present = set(pq.read_schema(path).names)
        columns = [c for c in wanted if c in present]
        if not columns or "_row_id" not in present:
            continue
        frame = pq.read_table(path, columns=[*columns, "_row_id"]).to_pydict()
        for enc in columns:
            column = enc[: -len("_enc")]
            aads = [field_aad(source, table, column, r) for r in frame["_row_id"]]
            # Erased persons (destroyed keys) have nothing left to leak: skip them.
            clear = encryptor.decrypt_many(frame[enc], aads, destroyed_as=None)
            for value in clear:
                yield pi_cols[column], value


def needles_from_raw(settings: Settings) -> Needles:
    """Decrypt the raw layer's PII cells in memory; needs the deployment's keys."""
    if not (settings.keys / "keyring.json").exists():
        log.warning("needles: no keyring under %s; name needles unavailable", settings.keys)
        return Needles(source="none (no keyring)")
    return _collect(_raw_values(settings), "raw layer (decrypted in memory)")

