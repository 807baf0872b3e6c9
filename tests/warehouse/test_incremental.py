"""case_events built incrementally (late and out-of-order batches) equals a full rebuild."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from shared_exchange.warehouse.dbt import run_dbt

pytestmark = pytest.mark.integration


def _events(db) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return set(con.execute(
            "select event_id, person_case_id, person_token, police_case_no, court_case_no, "
            "event_type, event_date, detail, batch_id, row_id, sealed, event_seq "
            "from case_events").fetchall())


def test_late_batches_update_the_right_rows(synthetic_home, core_select, tmp_path):
    raw = synthetic_home.raw
    held = tmp_path / "held"
    # Hold back the court's and justice's later batches plus one early procuratorate batch,
    # so they arrive "late" and out of order after a first build.
    moved = []
    for source, keep in (("court", 20), ("justice", 20), ("procuratorate", 3)):
        for table_dir in (raw / source).iterdir():
            files = sorted(p for p in table_dir.glob("*.parquet") if p.name != "_schema.parquet")
            late = files[keep:] if source != "procuratorate" else files[keep:keep + 1]
            for path in late:
                target = held / source / table_dir.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                moved.append((target, path))
    assert moved, "the sample has no later batches to hold back"
    incremental = tmp_path / "incremental.duckdb"
    run_dbt(["build", *core_select], synthetic_home, incremental)
    before = _events(incremental)
    for target, path in moved:
        shutil.move(target, path)
    run_dbt(["build", *core_select], synthetic_home, incremental)
    after = _events(incremental)
    full = tmp_path / "full.duckdb"
    run_dbt(["build", *core_select, "--full-refresh"], synthetic_home, full)
    assert after != before
    assert after == _events(full)
