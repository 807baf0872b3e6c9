"""Identity rules (domain.md §5): ID numbers (GB 11643), credit codes (GB 32100) and names.

Normalisation here is the single definition every part of the pipeline uses before an
identifier is tokenised, so that two departments' spellings of one number give one token.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "COMPOUND_SURNAMES",
    "ID_STATUSES",
    "IdInfo",
    "id_check_char",
    "make_id",
    "name_pinyin",
    "normalise_id",
    "normalise_name",
    "surname_of",
    "uscc_check_char",
    "uscc_is_valid",
]

ID_STATUSES = ("valid", "legacy15", "bad_checksum", "malformed")

# ISO 7064 MOD 11-2 as GB 11643 states it: weights 2^(17-i) mod 11, remainder → check char.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_INDEX = {c: i for i, c in enumerate(_USCC_CHARSET)}

# Characters that are not str.isspace() but still appear as invisible padding in exports.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}

COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "澹台", "南宫", "西门",
    "司空", "闻人", "赫连", "独孤", "百里", "呼延", "万俟", "东郭", "申屠", "太叔",
    "公冶", "濮阳", "淳于", "宗政", "仲孙", "闾丘", "子车", "亓官", "巫马",
    "公西", "拓跋", "梁丘", "左丘", "东门", "第五", "公良", "乐正", "漆雕", "壤驷",
    "谷梁", "段干", "羊舌", "微生", "公羊", "夹谷", "颛孙", "呼衍", "司寇", "鲜于",
)

# Surnames whose everyday reading differs from pypinyin's default for the character.
_SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "仇": "qiu", "区": "ou", "解": "xie", "查": "zha",
    "朴": "piao", "盖": "ge", "乐": "yue", "缪": "miao", "翟": "zhai", "召": "shao",
    "种": "chong", "员": "yun", "覃": "qin", "繁": "po", "秘": "bi", "尉迟": "yuchi",
    "万俟": "moqi", "长孙": "zhangsun", "乐正": "yuezheng",
}


@dataclass(frozen=True)
class IdInfo:
    """One ID number after normalisation, with what could be read from it."""

    normalised: str
    status: str
    birth_date: dt.date | None = None
    region_code: str | None = None
    sex: str | None = None  # "1" male, "2" female (GB 11643: odd sequence = male)

    @property
    def well_formed(self) -> bool:
        return self.status != "malformed"


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw)
    return "".join(c for c in text if not c.isspace() and c not in _INVISIBLE)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("id_check_char needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _birth(yyyymmdd: str) -> dt.date | None:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
    # GB 11643 itself uses an 1880 birth date as an example: only the future is impossible.
    return born if dt.date(1850, 1, 1) <= born <= dt.date.today() else None


def normalise_id(raw: str | None) -> IdInfo:
    """Normalise a delivered ID number and classify it (valid/legacy15/bad_checksum/malformed)."""
    if raw is None:
        return IdInfo("", "malformed")
    text = _clean(raw).upper()
    if len(text) == 15 and text.isascii() and text.isdigit():
        first17 = text[:6] + "19" + text[6:]
        born = _birth(first17[6:14])
        if born is None:
            return IdInfo(text, "malformed")
        full = first17 + id_check_char(first17)
        return IdInfo(full, "legacy15", born, full[:6], _sex(full))
    body, check = text[:17], text[17:]
    if (
        len(text) != 18
        or not text.isascii()
        or not body.isdigit()
        or check not in "0123456789X"
    ):
        return IdInfo(text, "malformed")
    born = _birth(body[6:14])
    if born is None:
        return IdInfo(text, "malformed")
    status = "valid" if id_check_char(body) == check else "bad_checksum"
    return IdInfo(text, status, born, body[:6], _sex(body))


def _sex(digits: str) -> str:
    return "1" if int(digits[16]) % 2 else "2"


def make_id(region_code: str, birth_date: dt.date, seq3: int | str) -> str:
    """Build a valid 18-digit ID number (for synthetic data and tests)."""
    seq = f"{int(seq3):03d}"
    if len(region_code) != 6 or not region_code.isdigit() or len(seq) != 3:
        raise ValueError("make_id needs a 6-digit region code and a sequence 0..999")
    first17 = f"{region_code}{birth_date:%Y%m%d}{seq}"
    return first17 + id_check_char(first17)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    try:
        total = sum(_USCC_INDEX[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    except (KeyError, ValueError) as exc:
        raise ValueError("uscc_check_char needs 17 characters from 0-9A-HJ-NPQRTUWXY") from exc
    return _USCC_CHARSET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    """True when a 统一社会信用代码 has 18 allowed characters and a correct check char."""
    text = _clean(code or "").upper()
    if len(text) != 18 or any(c not in _USCC_INDEX for c in text):
        return False
    return uscc_check_char(text[:17]) == text[17]


def normalise_name(raw: str | None) -> str:
    """NFKC, no whitespace anywhere (incl. U+3000); middle-dot variants are kept as delivered."""
    return "" if raw is None else _clean(raw)


def surname_of(name: str) -> str:
    """The surname: a compound surname when the name starts with one, else the first char."""
    clean = normalise_name(name)
    if len(clean) > 2 and clean[:2] in COMPOUND_SURNAMES:
        return clean[:2]
    return clean[:1]


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> str:
    """Toneless lowercase pinyin without separators; surnames read as surnames (单 → shan)."""
    from pypinyin import Style, lazy_pinyin  # heavy import, only when names are processed

    clean = normalise_name(name)
    if not clean:
        return ""
    surname = surname_of(clean)
    head = _SURNAME_READINGS.get(surname)
    rest = clean[len(surname):] if head else clean
    parts = lazy_pinyin(rest, style=Style.NORMAL, errors="default")
    text = (head or "") + "".join(parts)
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())
