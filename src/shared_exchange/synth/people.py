"""Synthetic persons: names that collide like real ones, valid ID numbers, phones, addresses."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from shared_exchange.identity import make_id
from shared_exchange.synth.regions import (
    ALL_COUNTIES,
    COUNTY_WEIGHTS,
    OUT_OF_PROVINCE,
    STREETS,
)

# Zhejiang order: 陈 first, then 王 李 张 刘; weights are rough per-mille shares.
SURNAMES = (
    ("陈", 95), ("王", 80), ("李", 62), ("张", 58), ("刘", 40), ("林", 30), ("黄", 28),
    ("吴", 32), ("徐", 30), ("周", 28), ("朱", 20), ("杨", 22), ("金", 18), ("胡", 18),
    ("何", 14), ("郑", 16), ("方", 14), ("叶", 16), ("潘", 12), ("钱", 8), ("孙", 10),
    ("沈", 12), ("蒋", 9), ("俞", 8), ("应", 6), ("毛", 7), ("汪", 8), ("杜", 5), ("许", 9),
    ("赵", 10), ("郭", 6), ("程", 5), ("邵", 6), ("楼", 4), ("戴", 5), ("单", 2), ("曾", 3),
    ("谢", 7), ("马", 6), ("梁", 4), ("蔡", 7), ("卢", 6), ("宋", 5), ("姚", 6), ("丁", 5),
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "司徒", "皇甫")
# Given-name characters, common ones repeated so that 陈伟 / 王磊 / 张敏 recur often.
GIVEN_MALE = ("伟", "伟", "强", "磊", "磊", "军", "勇", "杰", "涛", "明", "超", "斌", "波", "辉",
              "刚", "平", "华", "建", "国", "峰", "浩", "鹏", "飞", "俊", "东", "海", "林", "宇",
              "晨", "阳", "志", "文", "亮", "健", "永", "建华", "建国", "海峰", "志强", "家豪")
GIVEN_FEMALE = ("敏", "敏", "静", "丽", "丽", "艳", "娟", "芳", "燕", "霞", "玲", "萍", "红",
                "婷", "雪", "琳", "慧", "颖", "佳", "洁", "晓", "倩", "秀英", "丽华", "梦")
# Lookalike/homophone substitutions for name typos between departments.
TYPO = {"伟": "玮", "磊": "垒", "军": "君", "杰": "洁", "明": "铭", "敏": "民", "静": "靜",
        "丽": "莉", "芳": "方", "燕": "艳", "华": "化", "峰": "锋", "林": "琳", "婷": "亭",
        "强": "墙", "斌": "彬", "波": "博", "晨": "辰", "阳": "洋", "飞": "菲"}
MOBILE_PREFIXES = ("130", "131", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "157", "158", "159", "166", "173", "177", "180", "181",
                   "182", "183", "186", "187", "188", "189", "191", "199")


@dataclass(slots=True)
class Person:
    key: str  # synthetic person key, the only handle ground truth uses
    name: str
    id18: str
    sex: str  # "1" male, "2" female
    birth: dt.date
    phone: str
    address: str
    region: str  # 6-digit household-registration code (the ID's address code)


class PeopleFactory:
    """Draws persons; each ID is unique and valid, names collide at realistic rates."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._ids: set[str] = set()
        self._surnames = [s for s, _ in SURNAMES]
        self._cum = _cumulative([w for _, w in SURNAMES])
        self._county_cum = _cumulative(COUNTY_WEIGHTS)
        self._out = list(OUT_OF_PROVINCE)
        self.count = 0

    def name(self, sex: str) -> str:
        r = self.rng
        surname = (r.choice(COMPOUND) if r.random() < 0.004
                   else r.choices(self._surnames, cum_weights=self._cum)[0])
        pool = GIVEN_MALE if sex == "1" else GIVEN_FEMALE
        given = r.choice(pool)
        if len(given) == 1 and r.random() < 0.7:  # two-character given names dominate
            given += r.choice(pool)[0]
        return surname + given

    def region(self) -> tuple[str, str]:
        """(6-digit code, address prefix): ~70% Zhejiang, the rest migrant registrations."""
        r = self.rng
        if r.random() < 0.3:
            code = r.choice(self._out)
            return code, OUT_OF_PROVINCE[code]
        c = r.choices(ALL_COUNTIES, cum_weights=self._county_cum)[0]
        return c.code, "浙江省" + c.city_name + c.name

    def person(self, birth: dt.date, region: tuple[str, str] | None = None,
               name: str | None = None) -> Person:
        r = self.rng
        sex = "1" if r.random() < 0.86 else "2"  # most suspects are men
        code, prefix = region or self.region()
        while True:
            seq = r.randrange(1, 1000)
            if (seq % 2 == 1) != (sex == "1"):  # GB 11643: odd sequence means male
                seq = seq - 1 if seq > 1 else seq + 1
            id18 = make_id(code, birth, seq)
            if id18 not in self._ids:
                break
        self._ids.add(id18)
        self.count += 1
        phone = r.choice(MOBILE_PREFIXES) + f"{r.randrange(10**8):08d}"
        address = f"{prefix}{r.choice(STREETS)}{r.randrange(1, 400)}号"
        return Person(f"P{self.count:06d}", name or self.name(sex), id18, sex, birth,
                      phone, address, code)

    def birth_for_age(self, on: dt.date, age_lo: int, age_hi: int) -> dt.date:
        """A birth date giving an age in [age_lo, age_hi] on ``on``, never near a birthday edge.

        Juvenile/adult status must be unambiguous whichever case date a reader uses, so the
        birthday is kept at least 60 days away from ``on`` (and the ±60-day case window).
        """
        r = self.rng
        age = r.randint(age_lo, age_hi)
        offset = r.randint(90, 275)  # days after the birthday
        born = on - dt.timedelta(days=offset)
        try:
            return born.replace(year=born.year - age)
        except ValueError:  # 29 February
            return born.replace(year=born.year - age, day=28)


def typo_name(name: str, rng: random.Random) -> str:
    """The same person's name as a clerk mistyped it (one lookalike character)."""
    for i in range(len(name) - 1, 0, -1):
        if name[i] in TYPO:
            return name[:i] + TYPO[name[i]] + name[i + 1:]
    return name[:-1] + rng.choice("伟敏军丽")  if name[-1] not in "伟敏军丽" else name[:-1] + "玲"


def _cumulative(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
