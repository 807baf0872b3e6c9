"""A small mart-shaped published build for the gateway's tests and benchmark (synthetic only).

Besides marts shaped like the real ones it deliberately holds a ``person_identities``
table with *clear* synthetic identifiers, a staging view and a raw-like table: the attack
tests prove that even if clear values ever reached the warehouse, the gateway would show
only their masked forms and never the staging or raw layers. Every value is generated
here at run time from a seeded RNG; none is realistic data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from shared_exchange.identity import COMPOUND_SURNAMES, make_id

__all__ = ["DemoBuild", "build_demo_marts"]

_SURNAMES = ("陈", "王", "李", "张", "刘") + COMPOUND_SURNAMES[:3]
_COUNTIES = ("330102", "330106", "330108", "330203", "330212", "330302")
_DISPOSITIONS = ("起诉", "不起诉", "判决", "在审")


@dataclass(frozen=True)
class DemoBuild:
    database: Path
    models_dir: Path
    sealed_token: str  # the one sealed juvenile in county 330106
    persons: int


def _col(name: str, level: str, pi: str) -> dict:
    return {"name": name, "meta": {"level": level, "pi": pi}}


_MODELS = {
    "person_cases": ("有条件共享", [
        _col("person_case_id", "general", "none"), _col("person_token", "important", "none"),
        _col("police_case_no", "important", "none"),
        _col("county_code", "important", "none"), _col("birth_date", "important", "birth_date"),
        _col("charge", "important", "criminal_record"),
        _col("disposition", "important", "criminal_record"),
        _col("filed_date", "general", "none"), _col("sealed", "important", "none")]),
    "person_identities": ("有条件共享", [
        _col("person_token", "important", "none"), _col("id_number", "core", "id_number"),
        _col("name", "core", "name"), _col("phone", "core", "phone"),
        _col("address", "core", "address"), _col("birth_date", "important", "birth_date"),
        _col("county_code", "important", "none"), _col("sealed", "important", "none")]),
    "case_events": ("有条件共享", [  # no region column: filtered through person_cases
        _col("person_case_id", "general", "none"), _col("person_token", "important", "none"),
        _col("police_case_no", "important", "none"),
        _col("event", "important", "criminal_record"), _col("event_date", "general", "none"),
        _col("sealed", "important", "none")]),
    "scoreboard_daily": ("无条件共享", [
        _col("business_date", "general", "none"), _col("county_code", "general", "none"),
        _col("indicator", "general", "none"), _col("value", "general", "none")]),
}


def _given(rng: random.Random) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.choice((1, 2))))


def build_demo_marts(root: Path, persons: int = 200, seed: int = 7) -> DemoBuild:
    """Write ``root/build.duckdb`` and ``root/models/marts/_marts__models.yml``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    database = root / "build.duckdb"
    database.unlink(missing_ok=True)
    people, cases, events = [], [], []
    for i in range(persons):
        token = f"{rng.getrandbits(128):032x}"
        county = _COUNTIES[i % len(_COUNTIES)]
        sealed = i == 0
        born = (dt.date(2006, 4, 2) if sealed
                else dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000)))
        county = "330106" if sealed else county
        number = make_id(county, born, rng.randint(0, 999))
        name = rng.choice(_SURNAMES) + _given(rng)
        phone = "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
        address = f"浙江省杭州市西湖区{_given(rng)}路{rng.randint(1, 300)}号"
        people.append((token, number, name, phone, address, born, county, sealed))
        case_no = f"A{county}{i:06d}2022030{i % 10}{rng.randint(100, 999)}"
        filed = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        cases.append((f"pc{i}", token, case_no, county, born, rng.choice(["盗窃罪", "危险驾驶罪"]),
                      rng.choice(_DISPOSITIONS), filed, sealed))
        events.append((f"pc{i}", token, case_no, "立案", filed, sealed))
    conn = duckdb.connect(str(database))
    try:
        conn.execute("CREATE TABLE person_cases (person_case_id VARCHAR, person_token VARCHAR, "
                     "police_case_no VARCHAR,"
                     " county_code VARCHAR, birth_date DATE, charge VARCHAR, disposition "
                     "VARCHAR, filed_date DATE, sealed BOOLEAN)")
        conn.executemany("INSERT INTO person_cases VALUES (?,?,?,?,?,?,?,?,?)", cases)
        conn.execute("CREATE TABLE person_identities (person_token VARCHAR, id_number VARCHAR,"
                     " name VARCHAR, phone VARCHAR, address VARCHAR, birth_date DATE, "
                     "county_code VARCHAR, sealed BOOLEAN)")
        conn.executemany("INSERT INTO person_identities VALUES (?,?,?,?,?,?,?,?)", people)
        conn.execute("CREATE TABLE case_events (person_case_id VARCHAR, person_token VARCHAR,"
                     " police_case_no VARCHAR, event VARCHAR, event_date DATE, sealed BOOLEAN)")
        conn.executemany("INSERT INTO case_events VALUES (?,?,?,?,?,?)", events)
        conn.execute("CREATE TABLE scoreboard_daily AS SELECT filed_date AS business_date, "
                     "county_code AS county_code, 'cases' AS indicator, count(*) AS value "
                     "FROM person_cases GROUP BY ALL")
        conn.execute("CREATE SCHEMA main_staging")
        conn.execute("CREATE TABLE main_staging.stg_police__suspects AS SELECT person_token "
                     "AS id_token, id_number, name FROM person_identities")
        conn.execute("CREATE TABLE raw_police_suspects AS SELECT * FROM person_identities")
    finally:
        conn.close()
    models_dir = root / "models"
    (models_dir / "marts").mkdir(parents=True, exist_ok=True)
    doc = {"version": 2, "models": [
        {"name": name, "config": {"meta": {"sharing": sharing}}, "columns": cols}
        for name, (sharing, cols) in _MODELS.items()]}
    (models_dir / "marts" / "_marts__models.yml").write_text(
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return DemoBuild(database, models_dir, people[0][0], persons)
