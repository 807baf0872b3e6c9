"""A small deployment home with generated persons: landing (clear), raw (encrypted), logs, DBs.

Every ID, phone and name is generated at test time from a seeded RNG; nothing realistic is
written in this file. The home is clean by construction; tests plant leaks into it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shared_exchange.config import Settings
from shared_exchange.identity import make_id
from shared_exchange.security import FieldEncryptor, Tokenizer, field_aad, open_keyring

BATCH = "police-20220301-01"


@dataclass(frozen=True)
class Person:
    id_number: str
    phone: str
    name: str


def make_people(n: int, seed: int = 11) -> list[Person]:
    rng = random.Random(seed)
    people, seen = [], set()
    while len(people) < n:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        region = f"33{rng.randrange(1, 12):02d}{rng.randrange(1, 30):02d}"
        id_number = make_id(region, born, rng.randrange(1000))
        phone = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        # CJK ideographs drawn at random: a name-shaped string, not anyone's name
        name = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(rng.choice((2, 3))))
        if id_number not in seen:
            seen.add(id_number)
            people.append(Person(id_number, phone, name))
    return people


def _landing(home: Settings, people: list[Person]) -> None:
    batch = home.landing / "police" / "2022-03-01" / BATCH
    batch.mkdir(parents=True)
    lines = [json.dumps({"ajbh": f"A330106000000202203{i:04d}", "xyrbh": "1",
                         "sfzh": p.id_number, "xm": p.name, "lxdh": p.phone,
                         "updated_at": "2022-03-01 10:00:00"}, ensure_ascii=False)
             for i, p in enumerate(people)]
    (batch / "suspects.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (batch / "manifest.json").write_text(json.dumps(
        {"source": "police", "batch_id": BATCH, "business_date": "2022-03-01",
         "contract_version": "1", "files": [{"name": "suspects.jsonl",
                                             "records": len(people)}]}), encoding="utf-8")


def _raw(home: Settings, people: list[Person]) -> list[str]:
    ring = open_keyring(home)
    enc, tok = FieldEncryptor(ring, home.cipher), Tokenizer(ring, home.token_mac)
    row_ids = [f"{BATCH}/suspects.jsonl/{i + 1}" for i in range(len(people))]
    columns: dict[str, list] = {"police_case_no": [f"A330106000000202203{i:04d}"
                                                   for i in range(len(people))],
                                "_row_id": row_ids, "_batch_id": [BATCH] * len(people)}
    for column in ("id_number", "name", "phone"):
        values = [getattr(p, column) for p in people]
        aads = [field_aad("police", "suspects", column, r) for r in row_ids]
        columns[f"{column}_enc"] = enc.encrypt_many(values, aads, "police/2022-03")
    tokens = tok.token_many([p.id_number for p in people], "id_number")
    columns["id_token"] = tokens
    target = home.raw / "police" / "suspects" / f"{BATCH}.parquet"
    target.parent.mkdir(parents=True)
    pq.write_table(pa.table(columns), target)
    return tokens


def _warehouse(home: Settings, people: list[Person], tokens: list[str]) -> None:
    home.warehouse.mkdir(parents=True)
    con = duckdb.connect(str(home.warehouse / "build-0001.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.person_cases (person_token VARCHAR, region_code VARCHAR, "
                "name_masked VARCHAR, months INTEGER)")
    con.executemany("INSERT INTO marts.person_cases VALUES (?, ?, ?, ?)",
                    [(t, p.id_number[:6], p.name[0] + "*", i)
                     for i, (t, p) in enumerate(zip(tokens, people, strict=True))])
    con.close()


def _logs_and_airflow(home: Settings, tokens: list[str]) -> None:
    home.logs.mkdir(parents=True)
    (home.logs / "ingest.log").write_text(
        "".join(f"2022-03-02 01:10:{i % 60:02d} INFO loaded {BATCH} row token={t}\n"
                for i, t in enumerate(tokens)), encoding="utf-8")
    airflow = home.airflow_home
    (airflow / "logs").mkdir(parents=True)
    (airflow / "logs" / "attempt=1.log").write_text(
        f"[2022-03-02T01:10:00+0800] loaded 20 rows of {BATCH}\n", encoding="utf-8")
    con = sqlite3.connect(airflow / "airflow.db")
    con.execute("CREATE TABLE xcom (dag_run_id INTEGER, task_id TEXT, key TEXT, value TEXT)")
    con.execute("INSERT INTO xcom VALUES (1, 'load', 'return_value', ?)",
                (json.dumps({"batch_id": BATCH, "loaded": 20}),))
    con.commit()
    con.close()


@pytest.fixture
def people() -> list[Person]:
    return make_people(20)


@pytest.fixture
def small_home(home: Settings, people: list[Person]) -> Settings:
    """A clean home: clear PII only under landing/."""
    _landing(home, people)
    tokens = _raw(home, people)
    _warehouse(home, people, tokens)
    _logs_and_airflow(home, tokens)
    return home
