"""Real dbtRunner build of the foundation on a small synthetic dataset, scored against truth."""

from __future__ import annotations

import json

import duckdb
import pytest

from shared_exchange.warehouse.scoring import score_linking

pytestmark = pytest.mark.integration

MARTS = ("person_cases", "case_events")
LEVELS = {"core", "important", "general"}
PI = {"none", "id_number", "name", "phone", "address", "birth_date", "criminal_record"}
CLEAR_PII = {"id_number", "name", "phone", "address"}


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'main' and table_name = ?", [table]).fetchall()]


def test_marts_are_built_and_hold_no_pii_or_ciphertext(built):
    with duckdb.connect(str(built.db), read_only=True) as con:
        for mart in MARTS:
            assert con.execute(f"select count(*) from {mart}").fetchone()[0] > 0, mart
            cols = _columns(con, mart)
            assert not [c for c in cols if c.endswith("_enc")], f"{mart} carries ciphertext"
            assert not set(cols) & CLEAR_PII, f"{mart} carries a clear PII column"
            types = dict(con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'main' and table_name = ?", [mart]).fetchall())
            assert "BLOB" not in types.values(), f"{mart} carries a BLOB"
        unlinked = con.execute(
            "select count(*) from case_events where person_case_id is not null "
            "and person_case_id not in (select person_case_id from person_cases)").fetchone()[0]
        assert unlinked == 0


def test_every_model_and_column_is_classified(built):
    manifest = json.loads((built.settings.warehouse / "dbt" / "target" / "manifest.json")
                          .read_text(encoding="utf-8"))
    checked = 0
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or "/legal/" in node["original_file_path"] \
                or "scoreboards" in node["original_file_path"]:
            continue
        assert node["config"]["meta"].get("sharing") in {"无条件共享", "有条件共享", "不予共享"}, \
            node["name"]
        assert node["columns"], f"{node['name']} has no documented columns"
        for col in node["columns"].values():
            assert col["meta"].get("level") in LEVELS, (node["name"], col["name"])
            assert col["meta"].get("pi") in PI, (node["name"], col["name"])
            assert col["description"], (node["name"], col["name"])
        checked += 1
    assert checked >= 30


def test_documented_columns_are_the_built_columns(built):
    manifest = json.loads((built.settings.warehouse / "dbt" / "target" / "manifest.json")
                          .read_text(encoding="utf-8"))
    with duckdb.connect(str(built.db), read_only=True) as con:
        for mart in MARTS:
            node = manifest["nodes"][f"model.shared_exchange.{mart}"]
            assert set(node["columns"]) == set(_columns(con, mart)), mart


def test_linking_precision_and_recall_against_ground_truth(built):
    report = score_linking(built.settings, built.db)
    assert report["overall"]["true"] > 100
    assert report["damaged"]["overall"]["true"] > 10, "the generator damaged too few keys"
    for scope in (report["overall"], report["damaged"]["overall"],
                  *report["departments"].values()):
        assert scope["precision"] >= 0.99, report
        assert scope["recall"] >= 0.95, report
    assert report["link_methods"].get("declared_key", 0) > 0
    assert report["link_methods"].get("person_token_window", 0) > 0


def test_juvenile_and_sealing_match_ground_truth(built):
    truth = json.loads(built.settings.ground_truth.read_text(encoding="utf-8"))
    expected = {(pc["police_case_no"], pc["suspect_seq"]): (pc["juvenile"], pc["sealed"])
                for pc in truth["person_cases"] if not pc["self_investigated"]}
    with duckdb.connect(str(built.db), read_only=True) as con:
        rows = con.execute("select police_case_no, suspect_seq, is_juvenile, sealed "
                           "from person_cases where police_case_no is not null").fetchall()
        leaked = con.execute(
            "select count(*) from case_events e join person_cases p using (person_case_id) "
            "where p.sealed and not e.sealed").fetchone()[0]
    compared = [(expected[(r[0], r[1])], (r[2], r[3])) for r in rows if (r[0], r[1]) in expected]
    assert len(compared) > 100
    assert [c for c in compared if c[0] != c[1]] == []
    assert any(exp[1] for exp, _ in compared), "no sealed juvenile in the sample"
    assert leaked == 0


def test_event_ids_are_checked_where_a_daily_build_rewrote_rows(built, tmp_path):
    """unique_in_build: on a daily build only the rewritten rows' ids are counted (against
    the whole table). A duplicate of a rewritten row's id fails the build; one between two
    rows the build did not touch passed an earlier build and is not looked at again."""
    import shutil

    from shared_exchange.warehouse.dbt import DbtRunError, run_dbt

    db = tmp_path / "daily.duckdb"
    shutil.copy(built.db, db)
    test = ["test", "--select", "unique_in_build_case_events_event_id"]
    with duckdb.connect(str(db)) as con:
        scoped, untouched = (r[0] for r in con.execute(
            "select person_case_id from case_events where person_case_id is not null "
            "group by 1 order by 1 limit 2").fetchall())
        con.execute("delete from intermediate.int_build_scope")
        con.execute("insert into intermediate.int_build_scope (scope_key) values (?)", [scoped])
        con.execute("insert into case_events select * from case_events "
                    "where person_case_id = ? limit 1", [untouched])
        duplicated = con.execute("select count(*) - count(distinct event_id) from case_events"
                                 ).fetchone()[0]
    assert duplicated == 1
    run_dbt(test, built.settings, db)

    with duckdb.connect(str(db)) as con:
        con.execute("insert into case_events select * from case_events "
                    "where person_case_id = ? limit 1", [scoped])
    with pytest.raises(DbtRunError, match="unique_in_build_case_events_event_id"):
        run_dbt(test, built.settings, db)
