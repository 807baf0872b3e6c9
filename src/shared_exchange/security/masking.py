"""Masked display forms of PII (security-baseline.md §3), in Python and as DuckDB SQL.

Each rule keeps exactly what the baseline lets a reader see and nothing else:

==============  ==========================  ===============================================
rule            example                     keeps
==============  ==========================  ===============================================
``id_number``   ``330106********1234``      first 6 (address code) and last 4 of the
                                            normalised 18-digit number; legacy 15-digit
                                            numbers are upgraded first, so their birth date
                                            never shows; malformed values keep nothing
``phone``       ``138****5678``             mobile: first 3 and last 4; any other number:
                                            last 4 only
``name``        ``张*`` / ``欧阳*``          the surname (compound surnames kept), one star
                                            whatever the given name's length
``address``     ``浙江省杭州市西湖区``       the prefix up to the county-level unit; nothing
                                            when no county-level unit is recognised
``birth_date``  ``2005``                    the year
==============  ==========================  ===============================================

The SQL forms (``sql_mask``) are what the gateway projects; on already-normalised values
they give the same result as the Python forms, and every mask is idempotent, so masking a
stored masked form again changes nothing (tests/security/test_masking.py proves both).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from shared_exchange.identity import COMPOUND_SURNAMES, normalise_id, normalise_name, surname_of

__all__ = [
    "MASK_RULES",
    "mask_address",
    "mask_birth_date",
    "mask_id",
    "mask_name",
    "mask_phone",
    "mask_value",
    "sql_mask",
]

MASK_RULES = ("id_number", "phone", "name", "address", "birth_date")

_ID_HIDDEN = "*" * 8
_PHONE_HIDDEN = "*" * 4
_MOBILE = re.compile(r"1\d{10}")
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）.]")

# Province (省/自治区, or a municipality 市), then prefecture (市/州/地区/盟), then the
# county-level unit (区/县/市/旗). Bodies are short Han runs so that a street or a
# residential 小区 far into the address is never taken for a county. The same pattern
# runs in Python (re) and DuckDB (RE2); it uses only syntax both read identically.
_ADDRESS_PATTERN = (
    r"^(?:[\x{4e00}-\x{9fff}]{2,7}?(?:省|自治区))?"
    r"(?:[\x{4e00}-\x{9fff}]{1,9}?(?:市|自治州|地区|盟))?"
    r"[\x{4e00}-\x{9fff}]{1,6}?(?:自治县|自治旗|区|县|市|旗)"
)
_ADDRESS = re.compile(_ADDRESS_PATTERN.replace(r"\x{4e00}", "\u4e00").replace(r"\x{9fff}",
                                                                                "\u9fff"))


def mask_id(value: str | None) -> str | None:
    """``330106********1234``: first 6 and last 4 of the normalised 18-digit number."""
    if value is None:
        return None
    if _is_masked_id(value):
        return value
    info = normalise_id(value)
    if not info.well_formed:
        # Keep nothing of a malformed value: it may not be an ID number at all.
        return "*" * 18
    return info.normalised[:6] + _ID_HIDDEN + info.normalised[-4:]


def _is_masked_id(value: str) -> bool:
    return len(value) == 18 and value[6:14] == _ID_HIDDEN and (
        value[:6].isdigit() or value[:6] == "******")


def mask_phone(value: str | None) -> str | None:
    """``138****5678`` for a mobile number; other numbers keep their last 4 digits only."""
    if value is None:
        return None
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    text = _COUNTRY_PREFIX.sub("", text)
    if _MOBILE.fullmatch(text) or (len(text) == 11 and text[3:7] == _PHONE_HIDDEN):
        return text[:3] + _PHONE_HIDDEN + text[-4:]
    if len(text) >= 7:
        return "*" * (len(text) - 4) + text[-4:]
    return "*" * len(text)


def mask_name(value: str | None) -> str | None:
    """``张*`` / ``欧阳*``: the surname and one star."""
    if value is None:
        return None
    clean = normalise_name(value)
    if not clean:
        return ""
    return surname_of(clean) + "*"


def mask_address(value: str | None) -> str | None:
    """The address cut after its county-level unit; empty when none is recognised."""
    if value is None:
        return None
    clean = normalise_name(value)  # NFKC, no whitespace: the same cleaning as names
    found = _ADDRESS.match(clean)
    return found.group(0) if found else ""


def mask_birth_date(value: dt.date | str | int | None) -> int | None:
    """The birth year."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, dt.date):
        return value.year
    text = unicodedata.normalize("NFKC", value).strip()
    year = text[:4]
    return int(year) if len(year) == 4 and year.isdigit() else None


_PYTHON_MASKS = {
    "id_number": mask_id,
    "phone": mask_phone,
    "name": mask_name,
    "address": mask_address,
    "birth_date": mask_birth_date,
}


def mask_value(rule: str, value):  # noqa: ANN001, ANN201 - str, date or int by rule
    """Apply the named rule (one of MASK_RULES) to one value."""
    try:
        return _PYTHON_MASKS[rule](value)
    except KeyError:
        raise ValueError(f"unknown mask rule {rule!r}; use one of {MASK_RULES}") from None


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_COMPOUND_SQL = ", ".join(_sql_str(s) for s in COMPOUND_SURNAMES)


def sql_mask(rule: str, column_sql: str, column_type: str = "VARCHAR") -> str:
    """DuckDB expression giving the masked form of ``column_sql`` (already-quoted SQL).

    ``column_type`` is the stored DuckDB type; a birth date may be stored as a DATE, a
    TIMESTAMP, a year (integer) or text.
    """
    c = column_sql
    ctype = column_type.upper()
    if rule == "birth_date":
        if ctype.startswith(("DATE", "TIMESTAMP")):
            return f"year({c})"
        if ctype in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT",
                     "UINTEGER", "USMALLINT", "UTINYINT"}:
            return c
        return f"TRY_CAST(left(CAST({c} AS VARCHAR), 4) AS INTEGER)"
    v = f"CAST({c} AS VARCHAR)"
    if rule == "id_number":
        return (f"CASE WHEN {c} IS NULL THEN NULL "
                f"WHEN regexp_full_match({v}, '[0-9]{{17}}[0-9X]|[0-9]{{6}}[*]{{8}}[0-9X]{{4}}') "
                f"THEN left({v}, 6) || '{_ID_HIDDEN}' || right({v}, 4) "
                f"ELSE '{'*' * 18}' END")
    if rule == "phone":
        return (f"CASE WHEN {c} IS NULL THEN NULL "
                f"WHEN regexp_full_match({v}, '1[0-9]{{10}}|[0-9]{{3}}[*]{{4}}[0-9]{{4}}') "
                f"THEN left({v}, 3) || '{_PHONE_HIDDEN}' || right({v}, 4) "
                f"WHEN length({v}) >= 7 THEN repeat('*', length({v}) - 4) || right({v}, 4) "
                f"ELSE repeat('*', length({v})) END")
    if rule == "name":
        return (f"CASE WHEN {c} IS NULL THEN NULL WHEN length({v}) = 0 THEN '' "
                f"WHEN length({v}) > 2 AND left({v}, 2) IN ({_COMPOUND_SQL}) "
                f"THEN left({v}, 2) || '*' ELSE left({v}, 1) || '*' END")
    if rule == "address":
        return (f"CASE WHEN {c} IS NULL THEN NULL "
                f"ELSE regexp_extract({v}, {_sql_str(_ADDRESS_PATTERN)}, 0) END")
    raise ValueError(f"unknown mask rule {rule!r}; use one of {MASK_RULES}")
