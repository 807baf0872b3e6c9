"""The offence mix of domain.md §7 and how each offence is typically handled and sentenced."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Offence:
    charge: str  # 罪名 as named in the Criminal Law
    weight: float  # share of persons, percent
    detain: float  # probability the suspect is detained (刑事拘留) rather than bailed
    severity: str  # light | medium | grave: sentence length class
    fine: float  # probability of a fine (罚金)


OFFENCES: tuple[Offence, ...] = (
    Offence("危险驾驶罪", 20, 0.08, "drunk", 1.0),
    Offence("盗窃罪", 12, 0.65, "light", 0.95),
    Offence("帮助信息网络犯罪活动罪", 9, 0.6, "light", 0.95),
    Offence("诈骗罪", 6.5, 0.75, "medium", 0.95),
    Offence("开设赌场罪", 5, 0.6, "light", 0.9),
    Offence("故意伤害罪", 5, 0.55, "medium", 0.1),
    Offence("掩饰、隐瞒犯罪所得、犯罪所得收益罪", 4, 0.55, "light", 0.95),
    Offence("寻衅滋事罪", 3, 0.6, "light", 0.05),
    Offence("赌博罪", 2.5, 0.5, "light", 0.9),
    Offence("走私、贩卖、运输、制造毒品罪", 2.5, 0.9, "grave", 0.9),
    Offence("交通肇事罪", 2.5, 0.2, "light", 0.0),
    Offence("非法拘禁罪", 1.5, 0.6, "light", 0.0),
    Offence("抢劫罪", 1.2, 0.9, "grave", 0.9),
    Offence("容留他人吸毒罪", 1.5, 0.7, "light", 0.9),
    Offence("组织卖淫罪", 1, 0.8, "grave", 0.9),
    Offence("强奸罪", 1, 0.9, "grave", 0.0),
    Offence("聚众斗殴罪", 1, 0.7, "medium", 0.0),
    Offence("妨害公务罪", 1, 0.6, "light", 0.0),
    Offence("袭警罪", 0.8, 0.7, "light", 0.0),
    Offence("职务侵占罪", 1, 0.5, "medium", 0.5),
    Offence("合同诈骗罪", 1.2, 0.7, "medium", 0.95),
    Offence("侵犯公民个人信息罪", 1.5, 0.6, "light", 0.95),
    Offence("非法吸收公众存款罪", 1.2, 0.6, "medium", 0.95),
    Offence("集资诈骗罪", 0.4, 0.9, "grave", 0.95),
    Offence("故意毁坏财物罪", 0.8, 0.4, "light", 0.0),
    Offence("敲诈勒索罪", 0.8, 0.7, "medium", 0.9),
    Offence("生产、销售伪劣产品罪", 0.8, 0.3, "medium", 0.95),
    Offence("假冒注册商标罪", 0.8, 0.4, "medium", 0.95),
    Offence("销售假冒注册商标的商品罪", 1, 0.4, "light", 0.95),
    Offence("非法捕捞水产品罪", 0.8, 0.1, "light", 0.3),
    Offence("滥伐林木罪", 0.5, 0.1, "light", 0.9),
    Offence("拒不支付劳动报酬罪", 0.6, 0.3, "light", 0.9),
    Offence("拒不执行判决、裁定罪", 0.6, 0.4, "light", 0.0),
    Offence("伪造、变造、买卖国家机关公文、证件、印章罪", 0.5, 0.4, "light", 0.3),
    Offence("妨害信用卡管理罪", 0.8, 0.5, "light", 0.9),
    Offence("信用卡诈骗罪", 0.8, 0.5, "light", 0.95),
    Offence("重大责任事故罪", 0.5, 0.1, "light", 0.0),
    Offence("污染环境罪", 0.5, 0.4, "medium", 0.95),
    Offence("失火罪", 0.3, 0.1, "light", 0.0),
    Offence("故意杀人罪", 0.3, 1.0, "grave", 0.0),
    Offence("过失致人死亡罪", 0.3, 0.4, "medium", 0.0),
    Offence("挪用资金罪", 0.5, 0.5, "medium", 0.0),
    Offence("组织、领导传销活动罪", 0.5, 0.7, "medium", 0.95),
    Offence("非法经营罪", 1, 0.5, "medium", 0.95),
    Offence("非法持有毒品罪", 0.8, 0.8, "light", 0.9),
)
BY_CHARGE = {o.charge: o for o in OFFENCES}
# Self-investigated / 监察委-transferred offences: the procuratorate has no police case number.
SELF_INVESTIGATED = (Offence("受贿罪", 1, 0.9, "medium", 0.9),
                     Offence("滥用职权罪", 1, 0.3, "light", 0.0),
                     Offence("贪污罪", 1, 0.8, "medium", 0.9))
# Charges a court plausibly convicts for instead of the police's (for charge_mismatch).
RELATED = {"诈骗罪": "帮助信息网络犯罪活动罪", "帮助信息网络犯罪活动罪": "诈骗罪",
           "盗窃罪": "诈骗罪", "故意伤害罪": "寻衅滋事罪", "寻衅滋事罪": "故意伤害罪",
           "开设赌场罪": "赌博罪", "赌博罪": "开设赌场罪", "抢劫罪": "盗窃罪",
           "掩饰、隐瞒犯罪所得、犯罪所得收益罪": "帮助信息网络犯罪活动罪"}
_CUM: list[float] = []
for _o in OFFENCES:
    _CUM.append((_CUM[-1] if _CUM else 0) + _o.weight)


def draw_offence(rng: random.Random) -> Offence:
    return rng.choices(OFFENCES, cum_weights=_CUM)[0]


def draw_months(rng: random.Random, severity: str) -> int:
    """Base sentence length in months; overall ~85% are ≤ 36 months (domain.md §7)."""
    if severity == "drunk":
        return rng.randint(1, 6)  # 危险驾驶: 拘役 1-6 months
    if severity == "light":
        return rng.choice((3, 4, 6, 6, 7, 8, 9, 10, 12, 12, 14, 18, 24, 30, 36, 42))
    if severity == "medium":
        return rng.choice((6, 8, 10, 12, 18, 24, 30, 36, 36, 42, 48, 60, 72, 96))
    return rng.choice((36, 48, 60, 78, 96, 120, 144, 180))


def other_charge(charge: str) -> str:
    return RELATED.get(charge, "诈骗罪" if charge != "诈骗罪" else "盗窃罪")
