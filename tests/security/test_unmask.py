"""Unmask returns exactly the named clear values, with purpose and approver, each one audited."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shared_exchange.audit import AuditLog
from shared_exchange.identity import make_id
from shared_exchange.security import FieldEncryptor, open_keyring
from shared_exchange.security.fields import field_aad
from shared_exchange.security.unmask import UnmaskRefused, unmask

BATCH = "police-20220301-01"


@pytest.fixture
def raw(home):
    """Three encrypted police.suspects rows; the second person is sealed in the marts."""
    rng = random.Random(3)
    enc = FieldEncryptor(open_keyring(home), home.cipher)
    rows, clear = [], {}
    for line in (1, 2, 3):
        row_id = f"{BATCH}/suspects.jsonl/{line}"
        number = make_id("330106", dt.date(1990 + line, 1, 2), rng.randint(0, 999))
        name = "陈" + chr(rng.randint(0x4E00, 0x9FA5))
        clear[row_id] = {"id_number": number, "name": name}
        rows.append({
            "_row_id": row_id, "id_token": f"tok{line}",
            "id_number_enc": enc.encrypt(number, aad=field_aad("police", "suspects",
                                                                "id_number", row_id),
                                         scope="police.suspects"),
            "name_enc": enc.encrypt(name, aad=field_aad("police", "suspects", "name", row_id),
                                    scope="police.suspects"),
        })
    path = home.raw / "police" / "suspects" / f"{BATCH}.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    home.warehouse.mkdir(parents=True)
    build = home.warehouse / "build-1.duckdb"
    with duckdb.connect(str(build)) as conn:
        conn.execute("CREATE TABLE person_cases AS SELECT * FROM (VALUES ('tok1', false), "
                     "('tok2', true), ('tok3', false)) t(person_token, sealed)")
    home.published_db.symlink_to(build)
    return clear


def events(home, event_type: str) -> list[dict]:
    return [e for e in AuditLog(home).events() if e["type"] == event_type]


def ask(home, **kw):
    args = {"actor": "officer-7", "role": "case_officer", "purpose": "case_handling",
            "approver": "chief-2", "dataset": "police.suspects",
            "row_keys": [f"{BATCH}/suspects.jsonl/1"], "columns": ["id_number"]}
    return unmask(home, **(args | kw))


def test_returns_exactly_the_named_values_and_audits_each(home, raw) -> None:
    keys = [f"{BATCH}/suspects.jsonl/3", f"{BATCH}/suspects.jsonl/1"]
    out = ask(home, row_keys=keys, columns=["id_number", "name"], purpose="identify suspect")
    assert out == [{"row_key": k, **raw[k]} for k in keys]
    logged = events(home, "unmask")
    assert [(e["row_key"], e["columns"]) for e in logged] == [
        (keys[0], ["id_number"]), (keys[0], ["name"]), (keys[1], ["id_number"]),
        (keys[1], ["name"])]
    assert all(e["approver"] == "chief-2" and e["masked"] is False for e in logged)
    text = (home.audit / "audit.log").read_text(encoding="utf-8")
    assert not any(v in text for row in raw.values() for v in row.values())


@pytest.mark.parametrize(("kw", "why"), [
    ({"role": "analyst"}, "does not hold the unmask privilege"),
    ({"approver": "officer-7"}, "approver other than the requester"),
    ({"approver": ""}, "approver other than the requester"),
    ({"purpose": " "}, "needs a purpose"),
    ({"columns": ["suspect_seq"]}, "only encrypted PII columns"),
    ({"dataset": "police.passwords"}, "unknown raw dataset"),
    ({"row_keys": ["../../etc/passwd"]}, "does not start with a batch id"),
    ({"row_keys": [f"{BATCH}/suspects.jsonl/99"]}, "not in the raw layer"),
    ({"row_keys": [f"{BATCH}/suspects.jsonl/2"], "purpose": "identify suspect"},
     "sealed juvenile record"),
])
def test_refusals_are_audited_and_return_nothing(home, raw, kw, why) -> None:
    with pytest.raises(UnmaskRefused, match=why):
        ask(home, **kw)
    assert events(home, "unmask")[-1]["decision"] == "denied"


def test_sealed_row_with_a_legal_purpose_is_logged_as_sealed_access(home, raw) -> None:
    key = f"{BATCH}/suspects.jsonl/2"
    out = ask(home, row_keys=[key], purpose="case_handling")
    assert out == [{"row_key": key, "id_number": raw[key]["id_number"]}]
    assert events(home, "sealed_access")[-1]["row_key"] == key


def test_without_a_published_build_every_row_counts_as_sealed(home, raw) -> None:
    home.published_db.unlink()
    with pytest.raises(UnmaskRefused, match="sealed"):
        ask(home, purpose="identify suspect")
