"""Raw and staging gates on the real pipeline (synth → ingest → dbt staging), clean or corrupted."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from shared_exchange.ingest.load import ingest_source
from shared_exchange.quality import publish as pub
from shared_exchange.quality.freshness import DEPARTMENTS
from shared_exchange.quality.gates import GateFailed, gate_layer, gate_raw
from shared_exchange.synth import generate

pytestmark = pytest.mark.integration


@pytest.fixture
def loaded(settings) -> dict[str, list[str]]:
    """Four departments' batches for three business dates, ingested for real."""
    generate(settings, persons=60, days=3, seed=5)
    return {src: [r.batch_id for r in ingest_source(settings, src) if r.status == "loaded"]
            for src in DEPARTMENTS}


def _rewrite(path, select_sql: str) -> None:
    """Rewrite one raw Parquet file through ``select_sql`` over ``t`` (the file's rows)."""
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute(f"create table t as select * from read_parquet('{path}')")
    con.execute(f"copy ({select_sql}) to '{tmp}' (format parquet)")
    con.close()
    tmp.replace(path)


def _biggest(settings, source: str, table: str):
    files = (settings.raw / source / table).glob("*.parquet")
    return max(files, key=lambda p: p.stat().st_size)


def test_clean_raw_batches_pass(settings, loaded):
    for source, batch_ids in loaded.items():
        result = gate_raw(settings, source, batch_ids, run_id="clean")
        assert result.success and result.evaluated > 20, source
        assert result.rows["_ledger"] >= len(batch_ids)


@pytest.mark.parametrize("corruption,check", [
    ("select * from t limit (select count(*) - 1 from t)", "volume_matches_ledger"),
    ("select * replace ('xx' as status) from t", "code_status"),
    ("select * replace (null as filed_date) from t", "required_filed_date"),
])
def test_corrupted_raw_batch_fails_with_row_ids(settings, loaded, corruption, check):
    target = _biggest(settings, "police", "cases")
    _rewrite(target, corruption)
    with pytest.raises(GateFailed) as caught:
        gate_raw(settings, "police", loaded["police"], run_id=f"raw_{check}")
    detail = next(d for d in caught.value.details if d["check"] == check)
    assert detail["suite"] == "raw_police.json" and detail["table"] == "cases"
    if check != "volume_matches_ledger":  # row-level checks name offending raw row ids
        assert detail["sample_keys"] and target.stem in detail["sample_keys"][0]["_row_id"]


def test_raw_ids_mostly_invalid_fail_the_validity_share(settings, loaded):
    _rewrite(_biggest(settings, "police", "suspects"),
             "select * replace ('malformed' as id_status) from t")
    with pytest.raises(GateFailed, match="id_status_valid_share"):
        gate_raw(settings, "police", loaded["police"], run_id="ids")


def test_missing_department_fails_staging_gate_and_keeps_published(settings, loaded):
    old = pub.start_build(settings, "old")
    duckdb.connect(str(old.path)).close()
    pub.publish(settings, old, require_gates=False)
    # court's batch for the middle business date never arrived
    day = json.loads((settings.ledger / "court" / f"{loaded['court'][1]}.json").read_text())
    batch_id = day["batch_id"]
    (settings.ledger / "court" / f"{batch_id}.json").unlink()
    for table_dir in (settings.raw / "court").iterdir():
        (table_dir / f"{batch_id}.parquet").unlink(missing_ok=True)
    shutil.rmtree(settings.landing / "court" / day["business_date"])

    from shared_exchange.warehouse.dbt import run_dbt

    build = pub.start_build(settings, "missing_court")
    run_dbt(["build", "--select", "staging"], settings, build.path)
    with pytest.raises(GateFailed) as caught:
        gate_layer(settings, "staging", build.path, "missing_court")
    detail = next(d for d in caught.value.details if d["check"] == "department_delivered")
    assert detail["suite"] == "completeness.json"
    assert {"department_date": f"court/{day['business_date']}"} in detail["sample_keys"]
    with pytest.raises(pub.PublishError):
        pub.publish(settings, build)
    assert pub.current(settings) == "old"
