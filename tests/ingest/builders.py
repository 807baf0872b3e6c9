"""Build small synthetic department batches at test time (no realistic PII is stored in tests)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from shared_exchange.identity import make_id

_SURNAMES = "陈王李张刘杨黄吴周徐孙马朱胡郭何林罗高郑"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国"
_REGIONS = ("330102", "330106", "330205", "330302", "330402", "330602", "330702")


@dataclass
class Person:
    id_no: str
    name: str
    phone: str
    address: str
    birth: dt.date


@dataclass
class Synth:
    """Random but reproducible people and case numbers; remembers every clear value it made."""

    seed: int = 7
    rng: random.Random = field(init=False)
    people: list[Person] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def person(self) -> Person:
        r = self.rng
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=r.randrange(16000))
        p = Person(
            id_no=make_id(r.choice(_REGIONS), birth, r.randrange(1000)),
            name=r.choice(_SURNAMES) + "".join(r.choice(_GIVEN) for _ in range(r.choice((1, 2)))),
            phone="1" + r.choice("3589") + "".join(r.choice("0123456789") for _ in range(9)),
            address=f"浙江省杭州市{r.choice('东西南北')}区{r.randrange(1, 999)}号",
            birth=birth,
        )
        self.people.append(p)
        return p

    def police_case_no(self) -> str:
        r = self.rng
        unit, month, seq = r.randrange(10**6), r.randrange(1, 13), r.randrange(10**4)
        return f"A330106{unit:06d}2022{month:02d}{seq:04d}"

    def secrets(self) -> list[str]:
        """Every clear ID number, name and phone handed out (for leak scans)."""
        return [v for p in self.people for v in (p.id_no, p.name, p.phone)]


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def xml_bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_batch(landing: Path, source: str, business_date: dt.date, batch_id: str,
                files: dict[str, tuple[bytes, int]], contract_version: int = 1) -> Path:
    """Write data files and a correct manifest.json; returns the batch folder."""
    folder = landing / source / business_date.isoformat() / batch_id
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, (blob, records) in files.items():
        (folder / name).write_bytes(blob)
        entries.append({"name": name, "records": records,
                        "sha256": hashlib.sha256(blob).hexdigest()})
    manifest = {"source": source, "batch_id": batch_id,
                "business_date": business_date.isoformat(),
                "contract_version": str(contract_version),
                "extracted_at": f"{business_date + dt.timedelta(days=1)}T01:10:00+08:00",
                "files": entries}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return folder


def police_files(s: Synth, n: int, phone_key: str = "lxdh") -> dict[str, tuple[bytes, int]]:
    cases, suspects, measures, transfers = [], [], [], []
    for i in range(n):
        ajbh = s.police_case_no()
        p = s.person()
        cases.append({"ajbh": ajbh, "ajmc": "某盗窃案", "ay": "盗窃罪", "larq": "2022-03-01",
                      "badw": "330106000000", "ajzt": "zc", "lxzt": "0",
                      "updated_at": "2022-03-01 10:00:00"})
        suspects.append({"ajbh": ajbh, "xyrbh": "1", "sfzh": p.id_no, "xm": p.name, "xb": "1",
                         "csrq": p.birth.isoformat(), phone_key: p.phone, "hjdz": p.address,
                         "updated_at": "2022-03-01T10:00:00+08:00"})
        measures.append({"ajbh": ajbh, "xyrbh": "1", "cslx": "JL", "kssj": "2022-03-01 12:00",
                         "jssj": None, "wsh": f"W{i:06d}", "updated_at": "2022-03-01 12:00:00"})
        transfers.append({"ajbh": ajbh, "xyrbh": "1", "ysrq": "2022/3/2", "jsdw": "西湖区检察院"})
    return {"cases.jsonl": (jsonl(cases), n), "suspects.jsonl": (jsonl(suspects), n),
            "measures.jsonl": (jsonl(measures), n), "transfers.jsonl": (jsonl(transfers), n)}


_PROSECUTION_HEADER = [
    "部门受案号", "公安案件编号", "犯罪嫌疑人身份证号", "犯罪嫌疑人姓名", "受理日期", "审结日期",
    "审查结论", "认罪认罚", "适用速裁", "量刑建议月数", "起诉书文号", "受理法院", "承办单位",
    "更新时间"]


def procuratorate_files(s: Synth, n: int) -> dict[str, tuple[bytes, int]]:
    arrest, prosecution, supplementary = [], [], []
    for i in range(n):
        p = s.person()
        ajbh = s.police_case_no()
        arrest.append([f"杭西检捕{i}", ajbh, p.id_no, p.name, "2022年3月1日", "2022/3/5",
                       "批准逮捕", "西湖区检察院", "2022-03-05 09:00:00"])
        prosecution.append([f"杭西检诉{i}", ajbh, p.id_no, p.name, "2022-03-10", "",
                            "提起公诉", "是", "否", "18", f"杭西检刑诉〔2022〕{i}号",
                            "西湖区法院", "西湖区检察院, 第一部", "2022-03-11 09:00:00"])
        supplementary.append([f"杭西检诉{i}", "2022-03-12", "", "1"])
    return {
        "arrest_reviews.csv": (csv_bytes(
            ["部门受案号", "公安案件编号", "犯罪嫌疑人身份证号", "犯罪嫌疑人姓名", "受理日期",
             "审结日期", "审查结论", "承办单位", "更新时间"], arrest, "gb18030"), n),
        "prosecution_reviews.csv": (csv_bytes(_PROSECUTION_HEADER, prosecution, "gb18030"), n),
        "supplementary_investigations.csv": (csv_bytes(
            ["部门受案号", "退回日期", "重新移送日期", "次数"], supplementary, "gb18030"), n),
    }


def court_files(s: Synth, n: int) -> dict[str, tuple[bytes, int]]:
    judgments = ET.Element("judgments")
    enforcements = ET.Element("enforcements")
    defendants = 0
    for i in range(n):
        case = ET.SubElement(judgments, "case", {
            "case_no": f"（2022）浙0106刑初{i}号", "filed": "2022-05-10",
            "indictment_no": f"杭西检刑诉〔2022〕{i}号", "procedure": "普通",
            "closed": "2022-07-01", "effective": "2022-07-12",
            "updated_at": "2022-07-12T08:00:00Z"})
        for _ in range(1 + i % 2):
            p = s.person()
            defendants += 1
            ET.SubElement(case, "defendant", {
                "id_no": p.id_no, "name": p.name, "charge": "盗窃罪", "verdict": "有罪",
                "penalty": "有期徒刑", "months": "18", "suspended": "false",
                "probation_months": "", "fine": "5000", "recommendation_adopted": "true"})
            ET.SubElement(enforcements, "enforcement", {
                "case_no": f"（2022）浙0106执{defendants}号",
                "origin_case_no": f"（2022）浙0106刑初{i}号", "defendant_id_no": p.id_no,
                "filed": "2022-08-01", "closed": "", "due": "5000", "recovered": "1200.50",
                "closure": "", "updated_at": "2022-08-01 09:00:00"})
    return {"judgments.xml": (xml_bytes(judgments), defendants),
            "enforcement.xml": (xml_bytes(enforcements), defendants)}


def justice_files(s: Synth, n: int) -> dict[str, tuple[bytes, int]]:
    corrections, custody, aid = [], [], []
    for i in range(n):
        p = s.person()
        corrections.append([p.id_no, p.name, "缓刑", f"（2022）浙0106刑初{i}号", "2022-07-12",
                            "2022-07-15", "2022-07-12", "2023-07-11", "在矫", "2022-07-15",
                            "330106", "2022-07-15 10:00:00"])
        custody.append([p.id_no, f"（2022）浙0106刑初{i}号", "入监", "2022-07-20",
                        "330100001", "", "2022-07-20 10:00:00"])
        aid.append([p.id_no, f"杭西检诉{i}", "审查起诉", "2022-03-11", "2022-03-11 10:00:00"])
    header_c = ["person_id_no", "person_name", "correction_type", "court_case_no",
                "effective_date", "reported_date", "start_date", "end_date", "status",
                "status_date", "county_code", "updated_at"]
    return {
        "community_corrections.csv": (csv_bytes(header_c, corrections, "utf-8-sig"), n),
        "custody_events.csv": (csv_bytes(
            ["person_id_no", "court_case_no", "event", "event_date", "institution_code",
             "months_reduced", "updated_at"], custody, "utf-8-sig"), n),
        "legal_aid.csv": (csv_bytes(["person_id_no", "case_ref", "stage", "assigned_date",
                                     "updated_at"], aid, "utf-8-sig"), n),
    }


FILES = {"police": police_files, "procuratorate": procuratorate_files, "court": court_files,
         "justice": justice_files}
