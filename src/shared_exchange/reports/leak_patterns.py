"""PII detectors shared by the leak scan and the audit log: patterns, needles, masked excerpts.

Two detectors:

- *pattern*: 18-digit ID numbers whose GB 11643 check char and birth date are valid,
  15-digit legacy numbers with a valid birth date, mainland mobiles ``1[3-9]\\d{9}``; each
  must be a whole digit run, and runs glued into hex strings (digests, tokens, key ids)
  are not read as numbers;
- *needle*: the exact clear IDs, phones and names of the persons in the data, in UTF-8
  and GB18030, found with one Aho-Corasick automaton (``pyahocorasick`` when installed,
  a compiled regex alternation otherwise).

Nothing here returns or logs a clear value except to the caller that passed the bytes in;
reports only ever carry ``mask``/``redact`` output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from shared_exchange.identity import normalise_id, normalise_name

try:  # optional: ~50x faster than the regex fallback on thousands of needles
    import ahocorasick
except ImportError:  # pragma: no cover - exercised only without the package
    ahocorasick = None

__all__ = ["PII_KINDS", "Hit", "NeedleMatcher", "Needles", "find_patterns", "mask",
           "matcher_name", "pii_kind_in", "redact"]

PII_KINDS = ("id_number", "legacy_id", "phone", "name")

_DIGIT_RUN = re.compile(
    rb"(?:(?<![0-9])|(?<=\+86))(?:[0-9]{17}[0-9Xx]|[0-9]{15}|1[3-9][0-9]{9})(?![0-9])")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_HEX_LETTERS = frozenset(b"abcdefABCDEF")
_HEX_RUN = 12  # shortest hex identifier we print (a truncated fingerprint)
_CONTEXT_DIGITS = re.compile(r"\d{6,}")


@dataclass(frozen=True)
class Hit:
    """One detected value in a buffer: byte span, kind and which detector(s) saw it."""

    start: int
    end: int
    kind: str
    detector: str
    value: str  # clear; callers must pass it through ``mask`` before it leaves memory


def _inside_digest(data: bytes, start: int, end: int) -> bool:
    """True for a digit run glued to a hex letter inside a hex string of 12+ chars.

    Digests, HMAC tokens, key ids and policy versions are hex; by chance ~0.1% of them hold
    an 11-digit run that reads like a mobile. A clear value glued to a hex letter
    (``ab13812345678``) is missed, which the needle detector covers for known persons.
    """
    before = data[start - 1] if start > 0 else 0
    after = data[end] if end < len(data) else 0
    if before not in _HEX_LETTERS and after not in _HEX_LETTERS:
        return False
    left = start
    while left > 0 and data[left - 1] in _HEX and start - left < 64:
        left -= 1
    right = end
    while right < len(data) and data[right] in _HEX and right - end < 64:
        right += 1
    return right - left >= _HEX_RUN


def _decimal_fraction(data: bytes, start: int) -> bool:
    """True for the digits after a decimal point (``"execution_time": 2.040161371231079``).

    Timings and floats in logs and dbt artefacts carry 15-17 fractional digits that read
    like a legacy ID by chance; an ID never follows ``<digit>.``.
    """
    return start >= 2 and data[start - 1] == ord(".") and chr(data[start - 2]).isdigit()


def _classify(candidate: str) -> str | None:
    if len(candidate) == 11:
        return "phone"
    status = normalise_id(candidate).status
    if len(candidate) == 18 and status == "valid":
        return "id_number"
    if len(candidate) == 15 and status == "legacy15":
        return "legacy_id"
    return None


def find_patterns(data: bytes) -> Iterator[Hit]:
    """Pattern hits (ID numbers with valid check char, legacy IDs, mobiles) in ``data``."""
    for m in _DIGIT_RUN.finditer(data):
        start, end = m.span()
        if _inside_digest(data, start, end) or _decimal_fraction(data, start):
            continue
        candidate = m.group().decode("ascii").upper()
        kind = _classify(candidate)
        if kind:
            yield Hit(start, end, kind, "pattern", candidate)


def pii_kind_in(text: str) -> str | None:
    """The first kind of clear PII the pattern detector sees in ``text`` (full-width too)."""
    import unicodedata

    data = unicodedata.normalize("NFKC", text).encode("utf-8", "replace")
    return next((hit.kind for hit in find_patterns(data)), None)


def mask(kind: str, value: str) -> str:
    """The baseline §3 display form (security.masking): 330106********1234, 138****5678, 张*."""
    from shared_exchange.security.masking import mask_id, mask_name, mask_phone

    if kind in ("id_number", "legacy_id"):
        return mask_id(value) or ""
    if kind == "phone":
        return mask_phone(value) or ""
    if kind == "name":
        return mask_name(value) or ""
    return "*" * len(value)


@dataclass(frozen=True)
class Needles:
    """The clear values to look for (held in memory only, never written anywhere)."""

    ids: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    source: str = "none"  # where they came from, for the report (e.g. "raw layer")

    @classmethod
    def of(cls, ids: Iterable[str | None] = (), phones: Iterable[str | None] = (),
           names: Iterable[str | None] = (), source: str = "given") -> Needles:
        """Normalised needles: IDs in delivered, 18-digit and legacy forms; names ≥ 2 chars."""
        id_set: set[str] = set()
        for raw in ids:
            info = normalise_id(raw)
            if not info.normalised or len(info.normalised) < 15:
                continue
            id_set.add(info.normalised)
            if info.status == "legacy15":
                id_set.add(info.normalised[:6] + info.normalised[8:17])  # as delivered
        phone_set = {"".join(c for c in p if c.isdigit()) for p in phones if p}
        name_set = {normalise_name(n) for n in names if n}
        return cls(frozenset(id_set), frozenset(p for p in phone_set if len(p) >= 7),
                   frozenset(n for n in name_set if len(n) >= 2), source)

    def __len__(self) -> int:
        return len(self.ids) + len(self.phones) + len(self.names)

    def counts(self) -> dict[str, int]:
        return {"ids": len(self.ids), "phones": len(self.phones), "names": len(self.names)}


def matcher_name() -> str:
    return "pyahocorasick" if ahocorasick is not None else "regex alternation"


class _Automaton:
    """Multi-string search over str; keys map to (kind, clear value)."""

    def __init__(self, words: dict[str, tuple[str, str]]) -> None:
        self.words = words
        if ahocorasick is not None and words:
            self._ac = ahocorasick.Automaton()
            for key, (kind, value) in words.items():
                self._ac.add_word(key, (len(key), kind, value))
            self._ac.make_automaton()
        else:
            self._ac = None
            keys = sorted(words, key=len, reverse=True)
            self._re = re.compile("|".join(map(re.escape, keys))) if keys else None

    def find(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        if self._ac is not None:
            for end, (length, kind, value) in self._ac.iter(text):
                yield end + 1 - length, end + 1, kind, value
        elif self._re is not None:
            for m in self._re.finditer(text):
                kind, value = self.words[m.group()]
                yield m.start(), m.end(), kind, value


@dataclass
class NeedleMatcher:
    """Needles compiled for byte buffers (UTF-8 and GB18030) and for text redaction."""

    needles: Needles
    _cache: dict[str, _Automaton] = field(default_factory=dict, repr=False)

    def _words(self, encoding: str | None) -> dict[str, tuple[str, str]]:
        words: dict[str, tuple[str, str]] = {}
        groups = (("id_number", self.needles.ids), ("phone", self.needles.phones),
                  ("name", self.needles.names))
        for kind, values in groups:
            for value in values:
                forms = {value, value.lower()} if kind == "id_number" else {value}
                for form in forms:
                    # bytes are searched as latin-1 text: one char per byte, offsets = bytes
                    key = form if encoding is None else form.encode(encoding).decode("latin-1")
                    words[key] = (kind, value)
        return words

    @cached_property
    def _utf8(self) -> _Automaton:
        return _Automaton(self._words("utf-8"))

    @cached_property
    def _gb18030(self) -> _Automaton:
        utf8 = self._words("utf-8")
        # digits encode alike in both; keep only the names whose GB18030 bytes differ
        return _Automaton({k: v for k, v in self._words("gb18030").items() if k not in utf8})

    @cached_property
    def _text(self) -> _Automaton:
        return _Automaton(self._words(None))

    def find(self, data: bytes, *, gb18030: bool = False) -> Iterator[Hit]:
        """Needle hits in ``data`` as UTF-8 (and as GB18030 when asked)."""
        if not self.needles:
            return
        text = data.decode("latin-1")
        for start, end, kind, value in self._utf8.find(text):
            yield Hit(start, end, kind, "needle", value)
        if gb18030:
            for start, end, kind, value in self._gb18030.find(text):
                yield Hit(start, end, kind, "needle", value)

    def find_text(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        if self.needles:
            yield from self._text.find(text)


def redact(text: str, matcher: NeedleMatcher | None = None) -> str:
    """Context around a finding, safe to show: needles masked, digit runs ≥ 6 starred."""
    spans = sorted(matcher.find_text(text)) if matcher is not None else []
    out, pos = [], 0
    for start, end, kind, value in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(mask(kind, value))
        pos = end
    out.append(text[pos:])
    joined = "".join(out)
    # a run may be an ID or phone cut by the excerpt window: show none of its digits
    joined = _CONTEXT_DIGITS.sub(lambda m: "*" * len(m.group()), joined)
    return "".join(c if c.isprintable() else ("↵" if c == "\n" else "·") for c in joined)
