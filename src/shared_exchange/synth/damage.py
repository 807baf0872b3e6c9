"""Damage to one department's copy of a person-case: ID spellings, typos, broken join keys.

``SAME_PERSON`` kinds normalise back to the true ID (domain.md §5) and must link silently;
``MISMATCH`` kinds make name/ID differ between departments (an ``identity_mismatch``
finding); key kinds blank or mistype one join key, which linking by person must repair.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from shared_exchange.identity import id_check_char
from shared_exchange.synth.model import Case, PersonCase
from shared_exchange.synth.people import typo_name

SAME_PERSON = ("legacy15_id", "lowercase_x", "fullwidth_id", "spaced_id")
MISMATCH = ("name_typo", "other_id", "bad_checksum_id")
KEYS = ("police_case_no", "indictment_no", "court_case_no")
KEY_DEPARTMENT = {"police_case_no": "procuratorate", "indictment_no": "procuratorate",
                  "court_case_no": "justice"}
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def delivered_departments(pc: PersonCase, last: dt.date) -> list[str]:
    """Departments that hold a row naming this person-case by the last business date."""
    out = carrying_departments(pc, last, "id_number")
    if "justice" not in out and any(d <= last for _, d in pc.legal_aid):
        out.append("justice")
    return out


def carrying_departments(pc: PersonCase, last: dt.date, field: str) -> list[str]:
    """Departments whose rows delivered by ``last`` carry this person's ``field`` and reach
    the person-case in the warehouse, so a wrong value there is observable.

    ``field`` is ``id_number`` or ``name``. Police 嫌疑人 rows carry both; procuratorate
    reviews both; court judgments both, but only for the case's defendants (a suspect who
    was never prosecuted has no court row) and enforcement the ID only; justice community
    corrections both, custody events the ID only. Legal-aid rows (ID only) are left out:
    the warehouse does not attach them to a person-case.
    """
    out = []
    c = pc.case
    if not c.self_investigated and c.filed <= last:
        out.append("police")
    starts = [x.received for x in (pc.arrest, pc.prosecution) if x is not None]
    if "procuratorate" not in pc.omit and any(d <= last for d in starts):
        out.append("procuratorate")
    if pc.sentence is not None and c.court is not None and c.court.filed <= last:
        out.append("court")
    corr = pc.correction
    dates = [corr.reported] if corr is not None and corr.reported else []
    if field == "id_number":
        dates += [e[1] for e in pc.custody_events]
    if dates and min(dates) <= last:
        out.append("justice")
    return out


def _court_ref_date(pc: PersonCase) -> dt.date | None:
    """First justice row that carries the court case number."""
    dates = [e[1] for e in pc.custody_events]
    if pc.correction is not None and pc.correction.reported:
        dates.append(pc.correction.reported)
    return min(dates) if dates else None


def apply_damage(cases: list[Case], rng: random.Random, last: dt.date,
                 per_kind: int) -> dict[str, list[PersonCase]]:
    """Damage ``per_kind`` person-cases per kind; returns kind -> person-cases."""
    pool = [pc for c in cases for pc in c.persons
            if not pc.fault and not pc.juvenile and not c.self_investigated
            and len(delivered_departments(pc, last)) >= 2]
    rng.shuffle(pool)
    all_ids = {pc.person.id18 for c in cases for pc in c.persons}
    taken: dict[str, set[str]] = {k: set() for k in KEYS}
    for c in cases:
        taken["police_case_no"].add(c.police_no)
        taken["indictment_no"].add(c.indictment_no)
        for court in (c.court, c.appeal):
            if court is not None:
                taken["court_case_no"].add(court.case_no)
    done: dict[str, list[PersonCase]] = {}
    for kind in SAME_PERSON + MISMATCH:
        got = done.setdefault(kind, [])
        for pc in list(pool):
            if len(got) >= per_kind:
                break
            text = _id_or_name(pc, kind, rng, all_ids)
            if text is None:
                continue
            # only into a row that carries the field and is delivered for this person, so
            # a mismatch is observable; MISMATCH never in police (the anchor record)
            depts = carrying_departments(pc, last, "name" if kind == "name_typo"
                                         else "id_number")
            if kind in MISMATCH:
                depts = [d for d in depts if d != "police"]
            if not depts:
                continue
            dept = rng.choice(depts)
            target = pc.name_as_delivered if kind == "name_typo" else pc.id_as_delivered
            target[dept] = text
            pc.damage.append((dept, kind))
            pool.remove(pc)
            got.append(pc)
    for key in KEYS:
        for kind in ("missing_key", "mistyped_key"):
            got = done.setdefault(f"{kind}:{key}", [])
            for pc in list(pool):
                if len(got) >= per_kind:
                    break
                true = _true_key(pc, key, last)
                if not true:
                    continue
                value = "" if kind == "missing_key" else _mistype(true, rng, taken[key])
                pc.keys_as_delivered[key] = value
                pc.damage.append((KEY_DEPARTMENT[key], f"{kind}:{key}"))
                pool.remove(pc)
                got.append(pc)
    return done


def _id_or_name(pc: PersonCase, kind: str, rng: random.Random, all_ids: set[str]) -> str | None:
    p = pc.person
    if kind == "legacy15_id":
        return p.id18[:6] + p.id18[8:17] if p.birth.year < 1982 else None
    if kind == "lowercase_x":
        return p.id18[:17] + "x" if p.id18.endswith("X") else None
    if kind == "fullwidth_id":
        return p.id18.translate(FULLWIDTH)
    if kind == "spaced_id":
        return f"{p.id18[:6]} {p.id18[6:14]} {p.id18[14:]}"
    if kind == "name_typo":
        return typo_name(p.name, rng)
    if kind == "bad_checksum_id":
        wrong = [c for c in "0123456789X" if c != p.id18[17]]
        return p.id18[:17] + rng.choice(wrong)
    # other_id: a clerk typed the birth date a few days off; still a valid number
    born = p.birth + dt.timedelta(days=rng.choice((-3, -2, -1, 1, 2, 3)))
    first17 = f"{p.id18[:6]}{born:%Y%m%d}{p.id18[14:17]}"
    other = first17 + id_check_char(first17)
    return None if other in all_ids else other


def _true_key(pc: PersonCase, key: str, last: dt.date) -> str:
    c = pc.case
    if "procuratorate" in pc.omit:
        return ""
    if key == "police_case_no":
        return c.police_no if "procuratorate" in delivered_departments(pc, last) else ""
    if key == "indictment_no":
        pr = pc.prosecution
        ok = pr is not None and pr.prosecuted and pr.concluded <= last
        return c.indictment_no if ok else ""
    ref = _court_ref_date(pc)
    eff = pc.effective_case
    return eff.case_no if eff is not None and ref is not None and ref <= last else ""


def _mistype(true: str, rng: random.Random, taken: set[str]) -> str:
    """Change one digit of the sequence part so the result is no other real key."""
    positions = [m.start() for m in re.finditer(r"\d", true)][-4:]
    for _ in range(50):
        i = rng.choice(positions)
        value = true[:i] + str((int(true[i]) + rng.randint(1, 9)) % 10) + true[i + 1:]
        if value not in taken:
            taken.add(value)
            return value
    return true[:-1] + ("X" if not true.endswith("X") else "Y")
