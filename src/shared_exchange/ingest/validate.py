"""Typed conversion of parsed rows per contract field, column by column, with actionable reasons.

Reasons name the field (delivered name and canonical column) and what is wrong. They quote
a short excerpt of the value only for fields that are not personal data (``pi`` not
id_number/name/phone/address/birth_date): personal data never reaches a reason, a log or
the quarantine table in clear.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from shared_exchange.contracts.records import ParsedRow, RowError
from shared_exchange.contracts.schema import PII_ENCRYPTED, Contract, Field

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_DATE = (
    r"(?:(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})"
    r"|(?P<y2>\d{4})/(?P<m2>\d{1,2})/(?P<d2>\d{1,2})"
    r"|(?P<y3>\d{4})年(?P<m3>\d{1,2})月(?P<d3>\d{1,2})日)"
)
_DATE_RE = re.compile(_DATE + r"$")
_DATETIME_RE = re.compile(
    _DATE + r"(?:[T ]\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_LONG_DIGITS = re.compile(r"\d[\d\s-]{9,}\d|[０-９]{6,}")  # phone / ID lookalikes
_INT_RE = re.compile(r"[+-]?\d+$")
_DECIMAL_RE = re.compile(r"[+-]?\d+(?:\.\d+)?$")
_INT64 = 2**63 - 1
_DECIMAL_LIMIT = Decimal(10) ** 16  # DECIMAL(18,2)
_CENT = Decimal("0.01")
_DEFAULT_TRUE = ("true", "1", "是", "y", "yes")
_DEFAULT_FALSE = ("false", "0", "否", "n", "no")


class Invalid(ValueError):
    """One value that does not convert; ``problem`` is phrased without the value."""

    def __init__(self, code: str, problem: str) -> None:
        super().__init__(problem)
        self.code = code
        self.problem = problem


@dataclass
class ValidatedRows:
    """Rows that passed, as typed columns, and the rows that did not, as RowErrors."""

    rows: list[ParsedRow]
    columns: dict[str, list]
    errors: list[RowError]


def _ascii(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _ymd(m: re.Match[str]) -> dt.date:
    for k in "123":
        if m.group("y" + k):
            try:
                return dt.date(int(m.group("y" + k)), int(m.group("m" + k)), int(m.group("d" + k)))
            except ValueError:
                raise Invalid("bad_date", "is not a real calendar date") from None
    raise Invalid("bad_date", "is not a date")  # unreachable: the pattern has three branches


def to_date(text: str) -> dt.date:
    """yyyy-MM-dd, yyyy/M/d or yyyy年M月d日."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)  # the common case, in C
        except ValueError:
            pass
    m = _DATE_RE.match(_ascii(text))
    if not m:
        raise Invalid("bad_date", "is not a date (yyyy-MM-dd, yyyy/M/d or yyyy年M月d日)")
    return _ymd(m)


def to_datetime(text: str) -> dt.datetime:
    """Local Asia/Shanghai wall time; an explicit offset is converted to it, then dropped."""
    if 19 <= len(text) <= 25 and text[4] == "-" and text[10] in "T " and text[13] == ":":
        try:
            value = dt.datetime.fromisoformat(text)  # the common case, in C
        except ValueError:
            pass
        else:
            if value.tzinfo is None:
                return value
            return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    m = _DATETIME_RE.match(_ascii(text))
    if not m:
        raise Invalid("bad_datetime", "is not a datetime (yyyy-MM-dd[ HH:mm[:ss]][+08:00])")
    day = _ymd(m)
    frac = (m.group("f") or "").ljust(6, "0")
    try:
        value = dt.datetime(day.year, day.month, day.day, int(m.group("H") or 0),
                            int(m.group("M") or 0), int(m.group("S") or 0), int(frac or 0))
    except ValueError:
        raise Invalid("bad_datetime", "has an impossible time of day") from None
    tz = m.group("tz")
    if tz:
        offset = dt.UTC if tz == "Z" else _offset(tz)
        try:
            value = value.replace(tzinfo=offset).astimezone(LOCAL_TZ).replace(tzinfo=None)
        except OverflowError:
            raise Invalid("bad_datetime", "is out of range") from None
    return value


def _offset(tz: str) -> dt.timezone:
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise Invalid("bad_datetime", "has an impossible UTC offset")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def to_int(text: str) -> int:
    text = _ascii(text).replace(",", "")
    if not _INT_RE.match(text) or abs(int(text)) > _INT64:
        raise Invalid("bad_int", "is not an integer")
    return int(text)


def to_decimal(text: str) -> Decimal:
    text = _ascii(text).replace(",", "")
    if not _DECIMAL_RE.match(text):
        raise Invalid("bad_decimal", "is not a decimal number")
    try:
        value = Decimal(text)
        exact = value.quantize(_CENT)
    except InvalidOperation:
        raise Invalid("bad_decimal", "is not a decimal number") from None
    if exact != value:
        raise Invalid("bad_decimal", "has more than 2 decimal places")
    if abs(exact) >= _DECIMAL_LIMIT:
        raise Invalid("bad_decimal", "is too large for DECIMAL(18,2)")
    return exact


def _bool(field: Field) -> Callable[[str], bool]:
    true = set(field.true_values or _DEFAULT_TRUE)
    false = set(field.false_values or _DEFAULT_FALSE)
    allowed = "/".join(v for v in (*sorted(true), *sorted(false)) if v)

    def convert(text: str) -> bool:
        if text in true:
            return True
        if text in false:
            return False
        raise Invalid("bad_bool", f"is not one of {allowed}")

    return convert


def _enum(field: Field) -> Callable[[str], str]:
    allowed = set(field.values)
    listed = ", ".join(v for v in field.values if v)

    def convert(text: str) -> str:
        if text not in allowed:
            raise Invalid("bad_enum", f"is not one of {listed}")
        return text

    return convert


def _string(field: Field) -> Callable[[str], str]:
    if not field.pattern:
        return str
    pattern = re.compile(field.pattern)

    def convert(text: str) -> str:
        if not pattern.search(text):
            raise Invalid("bad_pattern", f"does not match the pattern {field.pattern}")
        return text

    return convert


def converter(field: Field) -> Callable[[str], object]:
    """The conversion of a stripped, non-blank delivered string to the field's type."""
    simple = {"date": to_date, "datetime": to_datetime, "int": to_int, "decimal": to_decimal}
    if field.type in simple:
        return simple[field.type]
    if field.type == "bool":
        return _bool(field)
    if field.type == "enum":
        return _enum(field)
    return _string(field)  # string, id_number (kept as delivered; classified in protect)


def blank_value(field: Field) -> object:
    """What a blank or absent value means: NULL, or False where the contract lists ''."""
    if field.type == "bool":
        if "" in field.false_values:
            return False
        if "" in field.true_values:
            return True
    return None


def describe(field: Field, value: str | None, problem: str,
             personal: frozenset[str] = frozenset()) -> str:
    """An actionable reason; the value appears only for non-personal fields, shortened.

    A value is also withheld when it looks like an ID or phone number or equals a personal
    value of the same row: a shifted column puts a name where a code should be.
    """
    where = f"field {field.name} ({field.column})"
    if value is None:
        return f"{where}: {problem}"
    if (field.pi in _WITHHELD or _LONG_DIGITS.search(value)
            or any(p and (p in value or value in p) for p in personal)):
        return f"{where}: value {problem}"
    shown = value if len(value) <= 24 else value[:21] + "..."
    return f"{where}: {shown!r} {problem}"


# Personal data (encrypted kinds and birth dates) is never quoted; other values may be.
_WITHHELD = PII_ENCRYPTED | {"birth_date"}


def _personal(contract: Contract, row: ParsedRow) -> frozenset[str]:
    return frozenset(v.strip() for f in contract.fields if f.pi in _WITHHELD
                     and (v := row.values.get(f.column)) and v.strip())


def _convert_distinct(field: Field, raw: list[str | None]) -> dict[str | None, object]:
    """Each distinct delivered value → typed value or Invalid (values repeat: convert once)."""
    convert = converter(field)
    blank = blank_value(field)
    missing = Invalid("required_missing", "required but blank or absent")
    table: dict[str | None, object] = {}
    for value in set(raw):
        text = value.strip() if value is not None else ""
        if not text:
            table[value] = missing if field.required else blank
            continue
        try:
            table[value] = convert(text)
        except Invalid as exc:
            table[value] = exc
    return table


def validate_rows(contract: Contract, rows: Sequence[ParsedRow]) -> ValidatedRows:
    """Convert every contract field column-wise; a row with any bad field becomes a RowError."""
    n = len(rows)
    problems: dict[int, list[tuple[Field, str, str]]] = {}
    columns: dict[str, list] = {}
    dicts = [r.values for r in rows]
    for field in contract.fields:
        column = field.column
        raw = [d.get(column) for d in dicts]
        table = _convert_distinct(field, raw)
        out = [table[v] for v in raw]
        if any(isinstance(t, Invalid) for t in table.values()):
            for i, result in enumerate(out):
                if isinstance(result, Invalid):
                    text = None if result.code == "required_missing" else raw[i].strip()
                    reason = describe(field, text, result.problem, _personal(contract, rows[i]))
                    problems.setdefault(i, []).append((field, result.code, reason))
                    out[i] = None
        columns[column] = out
    if not problems:
        return ValidatedRows(list(rows), columns, [])
    keep = [i for i in range(n) if i not in problems]
    errors = []
    for i, found in sorted(problems.items()):
        field, code, _ = found[0]
        reason = f"line {rows[i].line}: " + "; ".join(p[2] for p in found)
        errors.append(RowError(rows[i].line, field.column, code, reason, rows[i].raw))
    return ValidatedRows([rows[i] for i in keep],
                         {c: [v[i] for i in keep] for c, v in columns.items()}, errors)
