"""One serialiser per department format; field names and order come from the contracts.

police: JSON Lines, UTF-8, pinyin keys. procuratorate: CSV, GB18030, Chinese header, every
field ``"``-quoted, CRLF. court: XML, UTF-8. justice: CSV, UTF-8 with BOM, minimal quoting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from shared_exchange.contracts import Contract, load_contract

FILES: dict[str, tuple[str, ...]] = {
    "police": ("cases", "suspects", "measures", "transfers"),
    "procuratorate": ("arrest_reviews", "prosecution_reviews", "supplementary_investigations"),
    "court": ("judgments", "enforcement"),
    "justice": ("community_corrections", "custody_events", "legal_aid"),
}
_XML_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


@dataclass(frozen=True)
class Layout:
    """How one delivered file is written in one batch (contract version, extra column)."""

    contract: Contract
    extra: str = ""  # an unannounced extra column (name), or ""

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.contract.fields)

    @cached_property
    def _sources(self) -> tuple[tuple[str, str], ...]:
        """(delivered name, v1 row key) per field: v2 names read the v1 key they replaced."""
        return tuple((n, _old_name(self.contract, n)) for n in self.names)

    def header(self) -> bytes:
        c = self.contract
        if c.format == "jsonl":
            return b""
        if c.format == "xml":
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<{c.root}>\n'.encode()
        names = self.names + ((self.extra,) if self.extra else ())
        return self.csv(list(names), bom=True)

    def footer(self) -> bytes:
        c = self.contract
        return f"</{c.root}>\n".encode() if c.format == "xml" else b""

    def csv(self, values: list[str], bom: bool = False) -> bytes:
        """One CSV line in this file's encoding and quoting."""
        c = self.contract
        if c.encoding == "gb18030":
            text = '"' + '","'.join(v.replace('"', '""') for v in values) + '"\r\n'
            return text.encode("gb18030")
        text = ",".join(_minimal(v) for v in values) + "\n"
        return (("\ufeff" if bom else "") + text).encode("utf-8")

    def row(self, row: dict[str, str], extra_value: str = "") -> bytes:
        """A JSONL or CSV record line (``row`` is keyed by v1 field names)."""
        c = self.contract
        if c.format == "jsonl":
            out = {n: row.get(n, row.get(old, "")) for n, old in self._sources}
            if self.extra:
                out[self.extra] = extra_value
            return (json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        values = [row.get(n, "") for n in self.names]
        if self.extra:
            values.append(extra_value)
        return self.csv(values)

    def element(self, attrs: dict[str, str], rows: list[dict[str, str]] | None = None,
                drop: str = "") -> bytes:
        """An XML record element: ``<case …><defendant …/></case>`` or ``<enforcement …/>``."""
        c = self.contract
        scope = "case" if c.row_element else "row"
        head = " ".join(f'{f.name}="{_x(attrs.get(f.name, ""))}"'
                        for f in c.fields if f.scope == scope)
        if not c.row_element:
            return f"  <{c.record_element} {head}/>\n".encode()
        inner = []
        for r in rows or []:
            body = " ".join(f'{f.name}="{_x(r.get(f.name, ""))}"'
                            for f in c.fields if f.scope == "row" and f.name != drop)
            inner.append(f"    <{c.row_element} {body}/>\n")
        return (f"  <{c.record_element} {head}>\n" + "".join(inner)
                + f"  </{c.record_element}>\n").encode()


def layout(source: str, table: str, version: int = 1, extra: str = "") -> Layout:
    return Layout(load_contract(source, table, version), extra)


def _old_name(c: Contract, name: str) -> str:
    return next((old for old, new in c.renamed.items() if new == name), name)


def _minimal(v: str) -> str:
    if any(ch in v for ch in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


def _x(v: str) -> str:
    return v.translate(_XML_ESCAPE)
