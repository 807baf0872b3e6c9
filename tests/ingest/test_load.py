"""End-to-end landing → raw on built batches: accounting, idempotence, encryption, no leaks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from builders import FILES, Synth, jsonl, police_files, write_batch

from shared_exchange.contracts.schema import PII_ENCRYPTED, all_contracts
from shared_exchange.ingest import discover_batches, ingest_batch, ingest_source, summary
from shared_exchange.ingest.writer import SCHEMA_FILE, table_schema
from shared_exchange.raw_rewrites import raw_rewrite_stamp
from shared_exchange.security import FieldEncryptor, open_keyring

DAY = dt.date(2022, 3, 1)


def _snapshot(settings) -> dict[str, bytes]:
    return {str(p.relative_to(settings.home)): p.read_bytes()
            for d in (settings.raw, settings.quarantine, settings.ledger)
            for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture
def loaded(settings):
    """All four departments, one batch each, plus one broken row per department."""
    synth = Synth(seed=11)
    for source, build in FILES.items():
        files = build(synth, 4)
        name, (blob, n) = next(iter(files.items()))
        if source == "court":
            blob = blob.replace(b'procedure="', b'procedure="x', 1)  # bad enum
        elif source == "police":
            blob += b'{"ajbh": "A1", "larq": "2022-13-01"}\n'
            n += 1
        else:
            blob += "坏,行\r\n".encode("gb18030" if source == "procuratorate" else "utf-8")
            n += 1
        files[name] = (blob, n)
        write_batch(settings.landing, source, DAY, f"{source}-20220301-01", files)
    results = {s: ingest_source(settings, s) for s in FILES}
    return synth, results


def test_every_batch_accounts_for_every_delivered_row(settings, loaded):
    _, results = loaded
    for source, found in results.items():
        (result,) = found
        entry = result.ledger
        assert result.status == "loaded"
        assert entry["delivered"] == entry["loaded"] + entry["quarantined"] > 0
        assert entry["quarantined"] == 1, source
        for f in entry["files"]:
            table = pq.read_table(settings.raw / source / f["table"] / f"{result.batch_id}.parquet")
            assert table.num_rows == f["loaded"]
            assert table.schema == table_schema(source, f["table"])
        quarantine = pq.read_table(settings.quarantine / source / f"{result.batch_id}.parquet")
        assert quarantine.num_rows == entry["quarantined"]
    departments = summary(settings)
    assert departments["court"]["quarantine_reasons"] == {"bad_enum": 1}
    assert departments["police"]["quarantine_reasons"] == {"bad_pattern": 1}
    for d in departments.values():
        assert d["batches"] == d["loaded_batches"] == 1 and d["rejected"] == 0
        assert d["delivered"] == d["loaded"] + d["quarantined"]
        assert d["quarantine_reasons"] in ({"bad_enum": 1}, {"bad_pattern": 1},
                                           {"field_count": 1})


def test_rerun_changes_nothing(settings, loaded):
    before = _snapshot(settings)
    assert all(not discover_batches(settings, s) for s in FILES)
    for source in FILES:
        folder = next((settings.landing / source / DAY.isoformat()).iterdir())
        assert ingest_batch(settings, folder).status == "skipped"
    assert _snapshot(settings) == before


def test_forced_rerun_rewrites_the_same_rows(settings, loaded):
    path = settings.raw / "police" / "suspects" / "police-20220301-01.parquet"
    before = pq.read_table(path).drop_columns(["id_number_enc", "name_enc", "phone_enc",
                                               "address_enc"])
    ledger = (settings.ledger / "police" / "police-20220301-01.json").read_bytes()
    stamp = raw_rewrite_stamp(settings)
    ingest_batch(settings, next((settings.landing / "police").rglob("manifest.json")).parent,
                 force=True)
    # rewritten in place: the next warehouse build is a full refresh (staging would miss it)
    assert raw_rewrite_stamp(settings) != stamp
    after = pq.read_table(path).drop_columns(["id_number_enc", "name_enc", "phone_enc",
                                              "address_enc"])
    assert after.equals(before)
    assert (settings.ledger / "police" / "police-20220301-01.json").read_bytes() == ledger


def test_no_clear_pii_anywhere_in_outputs(settings, loaded):
    synth, _ = loaded
    secrets = synth.secrets()
    assert len(secrets) > 40
    for name, blob in _snapshot(settings).items():
        for secret in secrets:
            for encoding in ("utf-8", "gb18030"):
                assert secret.encode(encoding) not in blob, f"clear PII in {name}"


def test_encrypted_columns_decrypt_to_the_delivered_values(settings, loaded):
    synth, _ = loaded
    enc = FieldEncryptor(open_keyring(settings), cipher=settings.cipher)
    found: dict[str, set[str]] = {"id_number": set(), "name": set(), "phone": set()}
    for contract in all_contracts():
        folder = settings.raw / contract.source / contract.table
        for path in folder.glob("*-01.parquet"):
            table = pq.read_table(path).to_pylist()
            for f in contract.fields:
                if f.pi not in PII_ENCRYPTED:
                    continue
                for row in table:
                    blob = row[f"{f.column}_enc"]
                    aad = f"{contract.source}.{contract.table}|{f.column}|{row['_row_id']}"
                    if blob is not None and f.pi in found:
                        found[f.pi].add(enc.decrypt(blob, aad=aad))
    assert found["id_number"] >= {p.id_no for p in synth.people[:3]}
    assert found["name"] and found["name"] <= {p.name for p in synth.people}
    assert found["phone"] and found["phone"] <= {p.phone for p in synth.people}
    quarantine = pq.read_table(settings.quarantine / "police" / "police-20220301-01.parquet")
    row = quarantine.to_pylist()[0]
    aad = f"quarantine|raw|police-20220301-01/{row['file']}/{row['line']}"
    assert enc.decrypt(row["raw_enc"], aad=aad) == '{"ajbh": "A1", "larq": "2022-13-01"}'
    assert "2022-13-01" in row["reason"] and row["field"] == "police_case_no"


def test_tokens_and_id_columns(settings, loaded):
    rows = pq.read_table(settings.raw / "justice" / "legal_aid" /
                         "justice-20220301-01.parquet").to_pylist()
    assert all(len(r["id_token"]) == 64 and r["id_status"] == "valid" for r in rows)
    assert all(r["id_birth_date"] and r["id_region_code"] for r in rows)
    court = pq.read_table(settings.raw / "court" / "judgments" /
                          "court-20220301-01.parquet").to_pylist()
    assert all(r["name_token"] and r["name_pinyin_token"] for r in court)
    assert court[0]["updated_at"] == dt.datetime(2022, 7, 12, 16, 0)  # Z → Asia/Shanghai


def test_schema_files_exist_for_every_table(settings, loaded):
    for contract in all_contracts():
        path = settings.raw / contract.source / contract.table / SCHEMA_FILE
        assert pq.read_table(path).num_rows == 0
        assert pq.read_schema(path) == table_schema(contract.source, contract.table)


def test_renamed_and_added_columns_lose_no_rows(settings):
    synth = Synth(seed=3)
    v1 = police_files(synth, 3, phone_key="lxdh")
    v2 = police_files(synth, 3, phone_key="sjhm")
    blob, n = v2["cases.jsonl"]
    v2["cases.jsonl"] = (blob.replace(b'"ajbh"', b'"new_flag": 1, "ajbh"'), n)
    write_batch(settings.landing, "police", DAY, "police-20220301-01", v1, 1)
    write_batch(settings.landing, "police", DAY + dt.timedelta(days=1), "police-20220302-01",
                v2, 2)
    first, second = ingest_source(settings, "police")
    assert (first.loaded, second.loaded) == (12, 12)
    cases = next(f for f in second.ledger["files"] if f["name"] == "cases.jsonl")
    assert cases["extra_columns"] == ["new_flag"]
    for result in (first, second):
        rows = pq.read_table(settings.raw / "police" / "suspects" /
                             f"{result.batch_id}.parquet").column("phone_enc").to_pylist()
        assert all(rows)


def test_discover_orders_by_date_and_respects_up_to(settings):
    synth = Synth()
    for day, batch in [(2, "b"), (1, "z"), (1, "a")]:
        write_batch(settings.landing, "court", dt.date(2022, 3, day), f"court-{batch}",
                    {"enforcement.xml": (b"<enforcements/>", 0)})
    refs = discover_batches(settings, "court")
    assert [r.batch_id for r in refs] == ["court-a", "court-z", "court-b"]
    assert len(discover_batches(settings, "court", up_to=dt.date(2022, 3, 1))) == 2
    assert synth.people == []


def test_dates_in_all_formats_load(settings):
    synth = Synth()
    files = police_files(synth, 3)
    rows = [json.loads(line) for line in files["transfers.jsonl"][0].splitlines()]
    for row, fmt in zip(rows, ("2022-03-02", "2022/3/2", "2022年3月2日"), strict=True):
        row["ysrq"] = fmt
    files["transfers.jsonl"] = (jsonl(rows), 3)
    write_batch(settings.landing, "police", DAY, "police-x", files)
    (result,) = ingest_source(settings, "police")
    assert result.quarantined == 0
    dates = pq.read_table(Path(settings.raw, "police", "transfers", "police-x.parquet"))
    assert set(dates.column("transfer_date").to_pylist()) == {dt.date(2022, 3, 2)}
