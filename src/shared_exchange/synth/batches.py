"""Daily batches per department: bucketing record versions, files, manifests, delivery order.

Business date ``start`` is an initial full extract (each record's state as of that date);
every later business date holds the records that were new or changed that day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from shared_exchange import SOURCES
from shared_exchange.synth.writers import FILES, Layout, layout

EXTRACT_MINUTE = {"police": 10, "procuratorate": 20, "court": 30, "justice": 40}
SAMPLES_PER_FILE = 60


@dataclass
class FileBuf:
    chunks: list[bytes] = field(default_factory=list)
    records: int = 0


@dataclass
class DeliveryPlan:
    rename_from: int  # police switches to contract v2 (lxdh → sjhm) from this bucket
    extra: tuple[str, str, str, frozenset[int]]  # source, table, column, buckets
    late: frozenset[tuple[str, int]]
    tamper: tuple[str, int] | None


@dataclass
class Batch:
    source: str
    bucket: int
    business_date: dt.date
    batch_id: str
    extracted_at: dt.datetime
    contract_version: str
    late: bool = False
    tampered: bool = False
    files: list[dict] = field(default_factory=list)  # manifest entries
    order: int = 0


class Delivery:
    """Collects serialised record versions per (source, table, bucket)."""

    def __init__(self, start: dt.date, days: int, plan: DeliveryPlan) -> None:
        self.start, self.days, self.plan = start, days, plan
        self.last = start + dt.timedelta(days=days - 1)
        self.bufs: dict[tuple[str, str, int], FileBuf] = {}
        self.samples: dict[tuple[str, str], list[tuple[int, object]]] = {}
        self.reorder: dict[tuple[str, str], list[tuple[int, bytes, int]]] = {}
        self._layouts: dict[tuple[str, str, int], Layout] = {}

    def layout(self, source: str, table: str, bucket: int) -> Layout:
        key = (source, table, bucket)
        lay = self._layouts.get(key)
        if lay is None:
            version = 2 if source == "police" and bucket >= self.plan.rename_from else 1
            e_source, e_table, column, buckets = self.plan.extra
            extra = column if (source, table) == (e_source, e_table) and bucket in buckets else ""
            lay = self._layouts[key] = layout(source, table, min(version, _max_version(table)),
                                              extra)
        return lay

    def bucket(self, day: dt.date) -> int:
        return max(0, (day - self.start).days)

    def emit(self, source: str, table: str, versions: list[tuple[dt.date, object]]) -> None:
        picked: dict[int, object] = {}
        for day, row in versions:
            if day > self.last:
                break
            picked[self.bucket(day)] = row  # several changes in one day: the last one ships
        if not picked:
            return
        lines = []
        for b, row in picked.items():
            lines.append((b, self.append(source, table, b, row)))
        samples = self.samples.setdefault((source, table), [])
        if len(samples) < SAMPLES_PER_FILE:
            samples.append(next(iter(picked.items())))
        daily = [(b, line) for b, line in lines if b > 0]
        if len(daily) >= 2 and daily[-1][0] < self.days - 1:
            cands = self.reorder.setdefault((source, table), [])
            if len(cands) < SAMPLES_PER_FILE:
                cands.append((daily[0][0], daily[0][1], daily[-1][0]))

    def append(self, source: str, table: str, bucket: int, row: object) -> bytes:
        """Serialise one version into a bucket; returns the bytes written."""
        lay = self.layout(source, table, bucket)
        buf = self.bufs.setdefault((source, table, bucket), FileBuf())
        if lay.contract.format == "xml":
            attrs, rows = row
            data = lay.element(attrs, rows)
            buf.records += len(rows) if rows is not None else 1
        else:
            data = lay.row(row, "普通刑事案件")
            buf.records += 1
        buf.chunks.append(data)
        return data

    def append_raw(self, source: str, table: str, bucket: int, data: bytes, records: int) -> int:
        """Append delivered bytes as they are; returns the 1-based line/ordinal of the first."""
        buf = self.bufs.setdefault((source, table, bucket), FileBuf())
        first = buf.records + 1
        if self.layout(source, table, bucket).contract.format == "csv":
            first += 1  # the header is line 1
        buf.chunks.append(data)
        buf.records += records
        return first

    def batches(self) -> list[Batch]:
        out = []
        for source in SOURCES:
            for b in range(self.days):
                day = self.start + dt.timedelta(days=b)
                late = (source, b) in self.plan.late
                extracted = dt.datetime.combine(day + dt.timedelta(days=3 if late else 1),
                                                dt.time(2 if late else 1, EXTRACT_MINUTE[source]))
                version = "2" if source == "police" and b >= self.plan.rename_from else "1"
                out.append(Batch(source, b, day, f"{source}-{day:%Y%m%d}-01", extracted,
                                 version, late=late))
        out.sort(key=lambda x: (x.extracted_at, SOURCES.index(x.source)))
        for i, batch in enumerate(out, start=1):
            batch.order = i
        return out

    def write(self, landing: Path, batch: Batch, tamper: bool = False) -> None:
        folder = landing / batch.source / batch.business_date.isoformat() / batch.batch_id
        folder.mkdir(parents=True, exist_ok=True)
        batch.files = []
        for table in FILES[batch.source]:
            lay = self.layout(batch.source, table, batch.bucket)
            buf = self.bufs.get((batch.source, table, batch.bucket), FileBuf())
            data = lay.header() + b"".join(buf.chunks) + lay.footer()
            name = lay.contract.file
            (folder / name).write_bytes(data)
            batch.files.append({"name": name, "records": buf.records,
                                "sha256": hashlib.sha256(data).hexdigest()})
        manifest = {"source": batch.source, "batch_id": batch.batch_id,
                    "business_date": batch.business_date.isoformat(),
                    "contract_version": batch.contract_version,
                    "extracted_at": batch.extracted_at.isoformat() + "+08:00",
                    "files": batch.files}
        (folder / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if tamper:  # changed after the manifest was written: the sha256 no longer matches
            target = max(batch.files, key=lambda f: f["records"])
            path = folder / target["name"]
            data = path.read_bytes()
            path.write_bytes(data.replace(b"1", b"7", 1) if b"1" in data else data + b"\n")
            batch.tampered = True


def _max_version(table: str) -> int:
    return 2 if table == "suspects" else 1
