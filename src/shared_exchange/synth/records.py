"""Department records of a simulated case, as versions over time (what each system exports).

Each record is a list of ``(change date, row)``; a row is keyed by the contract's v1 field
names (XML: ``(case attributes, defendant rows)``). A department's copy uses the damaged
ID, name or key text when damage.py set one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from shared_exchange.synth.model import Case, PersonCase

Versions = list[tuple[dt.date, object]]
Emit = Callable[[str, str, Versions], None]


class Clock:
    """Wall-clock times of changes: deterministic, increasing per record."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def stamps(self, days: list[dt.date], sep: str,
               floors: list[dt.datetime | None] | None = None) -> list[str]:
        """One time per change day; never before the event it records, never past midnight."""
        out, prev_day, prev = [], None, -1
        for i, d in enumerate(days):
            sec = 28800 + int(self.rng.random() * 43200)  # office hours, seconds of the day
            floor = floors[i] if floors else None
            if floor is not None and floor.date() == d:
                at = floor.hour * 3600 + floor.minute * 60 + floor.second
                if sec <= at:
                    sec = at + 60 + int(self.rng.random() * 1800)
            if d == prev_day and sec <= prev:
                sec = prev + 60
            sec = min(sec, 86399)
            prev_day, prev = d, sec
            out.append(f"{d.isoformat()}{sep}{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}")
        return out


def _d(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _ts(t: dt.datetime | None) -> str:
    return t.isoformat("T") if t else ""


def _id(pc: PersonCase, dept: str) -> str:
    return pc.id_as_delivered.get(dept, pc.person.id18)


def _name(pc: PersonCase, dept: str) -> str:
    return pc.name_as_delivered.get(dept, pc.person.name)


def police(case: Case, emit: Emit, clock: Clock) -> None:
    c = case
    ends = [(c.transfer, "ys")] if c.transfer else [(c.withdrawn, "ca")] if c.withdrawn else []
    days = [c.filed] + [d for d, _ in ends]
    base = {"ajbh": c.police_no, "ajmc": f"{c.place}{c.charge.removesuffix('罪')}案",
            "ay": c.charge, "larq": _d(c.filed), "badw": c.unit, "lxzt": "1" if c.major else "0"}
    stamps = clock.stamps(days, "T")
    statuses = ["zc"] + [s for _, s in ends]
    emit("police", "cases", [(d, {**base, "ajzt": s, "updated_at": t})
                             for d, s, t in zip(days, statuses, stamps, strict=True)])
    for pc in c.persons:
        p, seq = pc.person, f"{pc.seq:02d}"
        emit("police", "suspects", [(c.filed, {
            "ajbh": c.police_no, "xyrbh": seq, "sfzh": _id(pc, "police"),
            "xm": _name(pc, "police"), "xb": p.sex, "csrq": _d(p.birth), "lxdh": p.phone,
            "hjdz": p.address, "updated_at": clock.stamps([c.filed], "T")[0]})])
        for m in pc.measures:
            days = [m.start.date()] + ([m.end.date()] if m.end else [])
            row = {"ajbh": c.police_no, "xyrbh": seq, "cslx": m.kind, "kssj": _ts(m.start),
                   "wsh": m.doc_no}
            versions = []
            stamps = clock.stamps(days, "T", [m.start, m.end])
            for i, (d, t) in enumerate(zip(days, stamps, strict=True)):
                versions.append((d, {**row, "jssj": _ts(m.end) if i else "", "updated_at": t}))
            emit("police", "measures", versions)
        if pc.transferred:
            emit("police", "transfers", [(pc.transferred, {
                "ajbh": c.police_no, "xyrbh": seq, "ysrq": _d(pc.transferred),
                "jsdw": c.county.procuratorate})])


def procuratorate(case: Case, emit: Emit, clock: Clock, fmt: Callable[[dt.date | None], str]
                  ) -> None:
    c = case
    unit = c.county.procuratorate
    supplementary_done = False
    for pc in c.persons:
        if "procuratorate" in pc.omit:
            continue
        police_no = pc.keys_as_delivered.get("police_case_no", c.police_no)
        who = {"公安案件编号": police_no, "犯罪嫌疑人身份证号": _id(pc, "procuratorate"),
               "犯罪嫌疑人姓名": _name(pc, "procuratorate"), "承办单位": unit}
        ar = pc.arrest
        if ar is not None:
            days = [ar.received] + ([ar.concluded] if ar.concluded else [])
            rows = []
            for i, (d, t) in enumerate(zip(days, clock.stamps(days, " "), strict=True)):
                rows.append((d, {**who, "部门受案号": c.arrest_no, "受理日期": fmt(ar.received),
                                 "审结日期": fmt(ar.concluded) if i else "",
                                 "审查结论": ar.conclusion if i else "", "更新时间": t}))
            emit("procuratorate", "arrest_reviews", rows)
        pr = pc.prosecution
        if pr is None:
            continue
        # versions: received; the art. 172 extension as soon as it is approved (the review
        # still open, so an extended review is never mistaken for an overrun); concluded
        steps = [(pr.received, "received")]
        if pr.extended_on is not None:
            steps.append((pr.extended_on, "extended"))
        if pr.concluded:
            steps.append((pr.concluded, "concluded"))
        days = [d for d, _ in steps]
        rows = []
        for (d, step), t in zip(steps, clock.stamps(days, " "), strict=True):
            row = {**who, "部门受案号": c.prosecution_no, "受理日期": fmt(pr.received),
                   "更新时间": t, "审结日期": "", "审查结论": "", "认罪认罚": "", "适用速裁": "",
                   "量刑建议月数": "", "起诉书文号": "", "受理法院": "",
                   "延长审查期限": "是" if step == "extended" else ""}
            if step == "concluded":
                row.update({
                    "审结日期": fmt(pr.concluded), "审查结论": pr.conclusion,
                    "认罪认罚": "是" if pr.plea else "否", "适用速裁": "是" if pr.speedy else "否",
                    "量刑建议月数": str(pr.recommended) if pr.recommended else "",
                    "延长审查期限": "是" if pr.extended else "否"})
                if pr.prosecuted:
                    row["起诉书文号"] = pc.keys_as_delivered.get("indictment_no", c.indictment_no)
                    row["受理法院"] = c.county.court
            rows.append((d, row))
        emit("procuratorate", "prosecution_reviews", rows)
        if not supplementary_done:
            supplementary_done = True
            for n, (returned, back) in enumerate(pr.returns, start=1):
                base = {"部门受案号": c.prosecution_no, "退回日期": fmt(returned), "次数": str(n)}
                versions = [(returned, {**base, "重新移送日期": ""})]
                if back:
                    versions.append((back, {**base, "重新移送日期": fmt(back)}))
                emit("procuratorate", "supplementary_investigations", versions)


def court(case: Case, emit: Emit, clock: Clock) -> None:
    c = case
    defendants = [pc for pc in c.persons if pc.sentence is not None]
    if c.court is None or not defendants:
        return
    for cc in (c.court, c.appeal):
        if cc is None:
            continue
        days = [cc.filed] + [d for d in (cc.closed, cc.effective) if d]
        days = sorted(set(days))
        attrs = {"case_no": cc.case_no, "filed": _d(cc.filed), "indictment_no": c.indictment_no,
                 "procedure": cc.procedure,
                 "extended_months": str(cc.extended_months) if cc.extended_months else ""}
        versions = []
        for d, t in zip(days, clock.stamps(days, "T"), strict=True):
            closed = cc.closed is not None and d >= cc.closed
            a = {**attrs, "closed": _d(cc.closed) if closed else "",
                 "effective": _d(cc.effective) if cc.effective and d >= cc.effective else "",
                 "updated_at": t}
            versions.append((d, (a, [_defendant(pc, closed) for pc in defendants])))
        emit("court", "judgments", versions)
    for pc in defendants:
        e = pc.enforcement
        if e is None:
            continue
        days = [e.filed] + ([e.closed] if e.closed else [])
        base = {"case_no": e.case_no, "origin_case_no": pc.effective_case.case_no,
                "defendant_id_no": _id(pc, "court"), "filed": _d(e.filed), "due": str(e.due)}
        versions = []
        for i, (d, t) in enumerate(zip(days, clock.stamps(days, "T"), strict=True)):
            versions.append((d, ({**base, "closed": _d(e.closed) if i else "",
                                  "recovered": str(e.recovered) if i else "",
                                  "closure": e.closure if i else "", "updated_at": t}, None)))
        emit("court", "enforcement", versions)


def _defendant(pc: PersonCase, closed: bool) -> dict[str, str]:
    row = {"id_no": _id(pc, "court"), "name": _name(pc, "court"), "charge": pc.court_charge}
    s = pc.sentence
    if closed:
        row.update({
            "verdict": s.verdict, "penalty": s.penalty,
            "months": str(s.months) if s.months else "",
            "suspended": "true" if s.suspended else "false",
            "probation_months": str(s.probation) if s.probation else "",
            "fine": str(s.fine) if s.fine else "",
            "recommendation_adopted": "" if s.adopted is None else str(s.adopted).lower()})
    return row


def justice(case: Case, emit: Emit, clock: Clock) -> None:
    for pc in case.persons:
        eff = pc.effective_case
        court_no = pc.keys_as_delivered.get("court_case_no", eff.case_no if eff else "")
        pid = _id(pc, "justice")
        corr = pc.correction
        if corr is not None and corr.reported:
            base = {"person_id_no": pid, "person_name": _name(pc, "justice"),
                    "correction_type": corr.kind, "court_case_no": court_no,
                    "effective_date": _d(corr.effective), "reported_date": _d(corr.reported),
                    "start_date": _d(corr.start), "end_date": _d(corr.end),
                    "county_code": case.county.code}
            days = [d for _, d in corr.history]
            emit("justice", "community_corrections", [
                (d, {**base, "status": s, "status_date": _d(d), "updated_at": t})
                for (s, d), t in zip(corr.history, clock.stamps(days, " "), strict=True)])
        for event, day, inst, cut in pc.custody_events:
            emit("justice", "custody_events", [(day, {
                "person_id_no": pid, "court_case_no": court_no, "event": event,
                "event_date": _d(day), "institution_code": inst,
                "months_reduced": str(cut) if cut else "",
                "updated_at": clock.stamps([day], " ")[0]})])
        refs = {"侦查": case.police_no, "审查起诉": case.prosecution_no,
                "审判": case.court.case_no if case.court else ""}
        for stage, day in pc.legal_aid:
            emit("justice", "legal_aid", [(day, {
                "person_id_no": pid, "case_ref": refs[stage], "stage": stage,
                "assigned_date": _d(day), "updated_at": clock.stamps([day], " ")[0]})])
