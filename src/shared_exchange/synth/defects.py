"""Delivery defects: duplicates, stale re-deliveries (out of order) and broken rows.

Every defect is an *extra* delivered row (a copy of a row the batch or an earlier batch
already carries), so the loaded state and every expected finding stay exactly the same,
while ``delivered = loaded + quarantined`` is tested. Broken rows are counted in manifests.
"""

from __future__ import annotations

import datetime as dt
import random

from shared_exchange.synth.batches import Delivery

# broken kind -> (source, table)
BROKEN = {
    "truncated_json": ("police", "measures"),
    "invalid_bytes": ("procuratorate", "prosecution_reviews"),
    "wrong_type": ("procuratorate", "prosecution_reviews"),
    "invalid_date": ("procuratorate", "arrest_reviews"),
    "too_few_fields": ("justice", "custody_events"),
    "xml_missing_attribute": ("court", "judgments"),
}
VERSIONED = [("police", "cases"), ("police", "measures"), ("procuratorate", "arrest_reviews"),
             ("procuratorate", "prosecution_reviews"), ("court", "judgments"),
             ("court", "enforcement"), ("justice", "community_corrections")]


def _batch_id(d: Delivery, source: str, bucket: int) -> str:
    return f"{source}-{d.start + dt.timedelta(days=bucket):%Y%m%d}-01"


def _file(d: Delivery, source: str, table: str, bucket: int) -> str:
    return d.layout(source, table, bucket).contract.file


def _records(d: Delivery, source: str, table: str, row: object) -> int:
    if isinstance(row, tuple):
        return len(row[1]) if row[1] is not None else 1
    return 1


def inject_defects(d: Delivery, rng: random.Random, per_kind: int) -> dict[str, list[dict]]:
    """Add duplicates, out-of-order versions and broken rows; returns what was added where."""
    out: dict[str, list[dict]] = {"duplicates": [], "out_of_order": [], "broken_rows": []}
    for i in range(per_kind * 2):
        source, table = rng.choice(VERSIONED)
        samples = d.samples.get((source, table))
        if not samples:
            continue
        bucket, row = rng.choice(samples)
        later = i % 2 == 1 and bucket < d.days - 1
        target = rng.randint(bucket + 1, d.days - 1) if later else bucket
        data = d.layout(source, table, target)
        line = d.append_raw(source, table, target, _serialise(data, row),
                            _records(d, source, table, row))
        out["duplicates"].append({
            "batch_id": _batch_id(d, source, target), "file": _file(d, source, table, target),
            "line": line, "first_delivered_in": _batch_id(d, source, bucket)})
    cands = [(k, c) for k, cs in sorted(d.reorder.items()) for c in cs]
    for k, (old_bucket, old_line, new_bucket) in rng.sample(cands, min(per_kind, len(cands))):
        source, table = k
        target = rng.randint(new_bucket + 1, d.days - 1)
        if d.layout(source, table, target) != d.layout(source, table, old_bucket):
            continue  # a contract change in between: keep the re-delivery well-formed
        n = old_line.count(b"<defendant ") if table == "judgments" else 1
        line = d.append_raw(source, table, target, old_line, n)
        out["out_of_order"].append({
            "batch_id": _batch_id(d, source, target), "file": _file(d, source, table, target),
            "line": line, "older_than_batch": _batch_id(d, source, new_bucket)})
    for kind, (source, table) in BROKEN.items():
        samples = d.samples.get((source, table)) or []
        for _ in range(per_kind if samples else 0):
            bucket, row = rng.choice(samples)
            data, n = _broken(d, kind, source, table, bucket, row)
            line = d.append_raw(source, table, bucket, data, n)
            out["broken_rows"].append({"batch_id": _batch_id(d, source, bucket),
                                       "file": _file(d, source, table, bucket), "line": line,
                                       "kind": kind})
    return out


def _serialise(lay, row: object) -> bytes:
    if isinstance(row, tuple):
        return lay.element(*row)
    return lay.row(row, "普通刑事案件")


def _broken(d: Delivery, kind: str, source: str, table: str, bucket: int,
            row: object) -> tuple[bytes, int]:
    lay = d.layout(source, table, bucket)
    if kind == "truncated_json":
        good = lay.row(row)
        return good[: len(good) // 2].rstrip(b"\n") + b"\n", 1
    if kind == "invalid_bytes":
        return lay.row({**row, "犯罪嫌疑人姓名": "@@"}, "普通刑事案件").replace(
            b"@@", b"\xff\xff\xff"), 1
    if kind == "wrong_type":
        return lay.row({**row, "量刑建议月数": "十二"}, "普通刑事案件"), 1
    if kind == "invalid_date":
        year = (row.get("受理日期") or "2022")[:4]
        return lay.row({**row, "受理日期": f"{year}-02-30"}, "普通刑事案件"), 1
    if kind == "too_few_fields":
        values = [row.get(n, "") for n in lay.names][:3]
        return lay.csv(values), 1
    attrs, rows = row  # xml_missing_attribute: a <defendant> without its charge
    return lay.element(attrs, rows[:1], drop="charge"), 1
