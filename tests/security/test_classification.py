"""Classification tags and column lineage (baseline §1): the build fails on a missing tag or a
mart column declared below its inputs, and says where and along which path."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from shared_exchange.config import PROJECT_ROOT
from shared_exchange.security.classification import (
    catalog_from_manifest,
    catalog_from_yml,
    check_classification,
    load_manifest,
)
from shared_exchange.security.lineage import check_lineage, main


def col(name: str, level: str | None = "important", pi: str | None = "none") -> dict:
    meta = {k: v for k, v in (("level", level), ("pi", pi)) if v is not None}
    return {"name": name, "meta": meta}


def model(name: str, sql: str, columns: list[dict], sharing: str = "有条件共享",
          relation: str | None = None) -> dict:
    return {
        "resource_type": "model", "package_name": "demo", "name": name,
        "patch_path": f"demo://models/{name}.yml", "config": {"meta": {"sharing": sharing}},
        "meta": {}, "columns": {c["name"]: c for c in columns},
        "relation_name": relation or f'"build"."main"."{name}"', "compiled_code": sql,
        "depends_on": {"nodes": []},
    }


def manifest(*nodes: dict) -> dict:
    source = {
        "package_name": "demo", "source_name": "police", "name": "suspects",
        "original_file_path": "models/staging/_police__sources.yml",
        "source_meta": {"sharing": "不予共享"}, "meta": {},
        "relation_name": "read_parquet('/home/x/raw/police/suspects/*.parquet')",
        "columns": {c["name"]: c for c in [
            col("id_token"), col("name_enc", "core", "name"),
            col("birth_date", "important", "birth_date"), col("charge", pi="criminal_record"),
        ]},
    }
    return {"metadata": {"project_name": "demo"},
            "nodes": {f"model.demo.{n['name']}": n for n in nodes},
            "sources": {"source.demo.police.suspects": source}}


STG = model("stg_police__suspects",
            "select id_token, name_enc, birth_date, charge "
            "from read_parquet('/home/x/raw/police/suspects/*.parquet')",
            [col("id_token"), col("name_enc", "core", "name"),
             col("birth_date", "important", "birth_date"), col("charge", pi="criminal_record")],
            sharing="不予共享", relation='"build"."main_staging"."stg_police__suspects"')


def mart(columns: list[dict], sql: str | None = None) -> dict:
    sql = sql or ('with s as (select * from "build"."main_staging"."stg_police__suspects"), '
                  "agg as (select id_token, count(distinct charge) as charges, "
                  "min(birth_date) as born from s group by id_token) "
                  "select id_token as person_token, year(born) as birth_year, charges from agg")
    return model("person_cases", sql, columns)


GOOD_MART = [col("person_token"), col("birth_year", "important", "birth_date"),
             col("charges", "general")]


# ---- tags ------------------------------------------------------------------------------

def test_a_fully_tagged_project_has_no_violations() -> None:
    m = manifest(STG, mart(GOOD_MART))
    assert check_classification(m) == []
    assert check_lineage(m) == []


@pytest.mark.parametrize(("bad", "rule", "text"), [
    (col("person_token", level=None), "level", "person_token: meta.level missing"),
    (col("person_token", pi=None), "pi", "person_token: meta.pi missing"),
    (col("person_token", level="secret"), "level", "'secret' is not one of"),
    (col("person_token", pi="salary"), "pi", "'salary' is not one of"),
])
def test_a_missing_or_unknown_column_tag_fails(bad: dict, rule: str, text: str) -> None:
    found = check_classification(manifest(STG, mart([bad, *GOOD_MART[1:]])))
    assert [v.rule for v in found] == [rule]
    assert text in found[0].message and "models/person_cases.yml" in found[0].where


def test_a_model_without_sharing_or_with_a_level_below_its_columns_fails() -> None:
    node = mart(GOOD_MART)
    node["config"]["meta"] = {"level": "general"}
    rules = sorted(v.rule for v in check_classification(manifest(STG, node)))
    assert rules == ["level", "sharing"]


def test_sharing_cascades_from_the_source_to_its_tables() -> None:
    catalog = catalog_from_manifest(manifest(STG))
    assert catalog.datasets["police.suspects"].sharing == "none"


def test_catalog_reads_the_yaml_when_there_is_no_manifest(tmp_path: Path) -> None:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "_m.yml").write_text(textwrap.dedent("""
        version: 2
        models:
          - name: scoreboard_daily
            config: {meta: {sharing: 无条件共享}}
            columns:
              - {name: county_code, meta: {level: general, pi: none}}
              - name: value
                config: {meta: {level: general, pi: none}}
    """), encoding="utf-8")
    catalog = catalog_from_yml(tmp_path)
    ds = catalog.datasets["scoreboard_daily"]
    assert ds.sharing == "unconditional" and ds.columns["value"].level == "general"
    assert check_classification(catalog) == []


# ---- lineage ---------------------------------------------------------------------------

def test_a_mart_column_below_its_lineage_fails_with_the_path() -> None:
    cols = [col("person_token"), col("birth_year", "general", "birth_date"),
            col("charges", "general")]
    found = check_lineage(manifest(STG, mart(cols)))
    assert len(found) == 1
    message = found[0].message
    assert "birth_year is declared general but its lineage is important" in message
    assert ("person_cases.birth_year (general) ← stg_police__suspects.birth_date (important)"
            " ← police.suspects.birth_date (important)") in message


def test_levels_propagate_through_every_model_to_the_source() -> None:
    """A staging column declared too low does not launder the source's level."""
    stg = model(STG["name"], STG["compiled_code"],
                [col("id_token"), col("name_enc", "general", "name"),
                 col("birth_date", "important", "birth_date"),
                 col("charge", pi="criminal_record")],
                relation=STG["relation_name"])
    sql = ('select id_token as person_token, left(name_enc, 1) as initial '
           'from "build"."main_staging"."stg_police__suspects"')
    cols = [col("person_token"), col("initial", "important", "name")]
    found = check_lineage(manifest(stg, model("person_cases", sql, cols)))
    where = sorted((v.where, v.message.split(":")[0]) for v in found)
    assert len(found) == 2, where
    assert any("core: person_cases.initial (important) ← stg_police__suspects.name_enc "
               "(general) ← police.suspects.name_enc (core)" in v.message for v in found)


def test_a_count_does_not_inherit_its_inputs_level() -> None:
    assert not [v for v in check_lineage(manifest(STG, mart(GOOD_MART)))
                if "charges" in v.message]


def test_a_count_inside_an_expression_does_not_inherit_but_a_column_beside_it_does() -> None:
    sql = ('select greatest(count(distinct id_token), 1) as persons, '
           'count(name_enc) + max(length(charge)) as mixed '
           'from "build"."main_staging"."stg_police__suspects"')
    cols = [col("persons", "general"), col("mixed", "general")]
    found = check_lineage(manifest(STG, model("person_cases", sql, cols)))
    assert [v.message.split(" is declared")[0] for v in found] == ["column mixed"]
    # a column read outside the count makes the whole expression inherit, the counted
    # name_enc included (reported: the highest input)
    assert "lineage is core" in found[0].message


def test_a_case_condition_is_lineage_too() -> None:
    """Implicit flow, kept on purpose: a date picked by ``CASE WHEN charge = …`` says by
    being non-null what the charge was, so it is graded like the charge (docs/security.md)."""
    sql = ("select max(case when charge = '盗窃罪' then birth_date end) as theft_date, "
           "max(case when charge = '盗窃罪' then 1 end) as theft_flag "
           'from "build"."main_staging"."stg_police__suspects"')
    cols = [col("theft_date", "important"), col("theft_flag", "general")]
    found = check_lineage(manifest(STG, model("person_cases", sql, cols)))
    assert len(found) == 1 and "theft_flag is declared general but its lineage is " \
        "important" in found[0].message
    assert "police.suspects.charge (important)" in found[0].message


def test_union_by_name_is_traced_by_name_not_by_position() -> None:
    """DuckDB's UNION ALL BY NAME matches columns by name and fills missing ones with NULL."""
    sql = ('with s as (select * from "build"."main_staging"."stg_police__suspects"), '
           "u as (select id_token as k, charge as v from s "
           "union all by name select birth_date as v, name_enc as k from s "
           "union all by name select id_token as k from s) "
           "select k, v from u")
    # by position, v would come from name_enc (core) in the second branch
    ok = [col("k", "core", "name"), col("v", "important")]
    assert check_lineage(manifest(STG, model("person_cases", sql, ok))) == []
    low = [col("k", "important"), col("v", "important")]
    found = check_lineage(manifest(STG, model("person_cases", sql, low)))
    assert len(found) == 1 and "column k is declared important but its lineage is core" \
        in found[0].message


def test_union_by_name_over_stars_of_models_in_different_column_orders() -> None:
    a = model("int_a", 'select id_token, charge from "build"."main_staging"."stg_police__suspects"',
              [col("id_token"), col("charge", pi="criminal_record")], sharing="不予共享",
              relation='"build"."main"."int_a"')
    b = model("int_b", 'select name_enc as charge, id_token '
              'from "build"."main_staging"."stg_police__suspects"',
              [col("charge", "core", "name"), col("id_token")], sharing="不予共享",
              relation='"build"."main"."int_b"')
    sql = ('with u as (select * from "build"."main"."int_a" union all by name '
           'select * from "build"."main"."int_b") select id_token, charge from u')
    found = check_lineage(manifest(STG, a, b, model(
        "person_cases", sql, [col("id_token"), col("charge", "important")])))
    assert len(found) == 1
    assert "charge is declared important but its lineage is core" in found[0].message
    assert "int_b.charge (core)" in found[0].message


def test_repeated_unnamed_projections_keep_their_positions_in_a_union() -> None:
    """``cast(null as text)`` twice in a CTE: sqlglot names both ``null``; a UNION over the
    CTE's star must still line the branches up by position."""
    sql = ('with p as (select id_token, cast(null as text), cast(null as text), charge '
           'from "build"."main_staging"."stg_police__suspects"), '
           'q as (select id_token, name_enc, birth_date, charge '
           'from "build"."main_staging"."stg_police__suspects"), '
           "f as (select * from q union all select * from p) "
           "select id_token, name_enc, birth_date, charge from f")
    cols = [col("id_token"), col("name_enc", "core", "name"),
            col("birth_date", "important", "birth_date"), col("charge", pi="criminal_record")]
    assert check_lineage(manifest(STG, model("person_cases", sql, cols))) == []


def test_a_generated_series_is_a_constant_relation_not_an_unknown_one() -> None:
    sql = ("select cast(d as date) as calendar_date "
           "from range(date '2019-01-01', date '2031-01-01', interval 1 day) as t(d)")
    found = check_lineage(manifest(STG, model("int_calendar", sql,
                                              [col("calendar_date", "general")])))
    assert found == []


def test_an_unknown_relation_still_grades_up_to_core() -> None:
    sql = 'select x as calendar_date from "elsewhere"."main"."mystery"'
    found = check_lineage(manifest(STG, model("int_calendar", sql,
                                              [col("calendar_date", "important")])))
    assert len(found) == 1 and "lineage is core" in found[0].message


def test_an_undocumented_output_column_fails() -> None:
    sql = ('select id_token as person_token, charge as leaked '
           'from "build"."main_staging"."stg_police__suspects"')
    found = check_lineage(manifest(STG, model("person_cases", sql, [col("person_token")])))
    assert [v.rule for v in found] == ["undocumented"]
    assert "leaked" in found[0].message


# ---- real dbt ---------------------------------------------------------------------------

TINY_PROJECT = {
    "dbt_project.yml": """
        name: tiny
        version: "0.1.0"
        config-version: 2
        profile: tiny
        models:
          tiny:
            marts: {+materialized: table, +meta: {sharing: 有条件共享}}
    """,
    "profiles.yml": """
        tiny:
          target: dev
          outputs:
            dev: {type: duckdb, path: "{{ env_var('TINY_DB') }}", threads: 1}
    """,
    "models/staging/_police.yml": """
        version: 2
        sources:
          - name: police
            config: {meta: {sharing: 不予共享}}
            tables:
              - name: suspects
                meta:
                  external_location: >-
                    read_parquet('{{ env_var('SHARED_EXCHANGE_HOME')
                    }}/raw/police/suspects/*.parquet')
                columns:
                  - {name: id_token, data_type: varchar, meta: {level: important, pi: none}}
                  - {name: birth_date, data_type: date, meta: {level: important, pi: birth_date}}
        models:
          - name: stg_police__suspects
            config: {meta: {sharing: 不予共享}}
            columns:
              - {name: id_token, meta: {level: important, pi: none}}
              - {name: birth_date, meta: {level: important, pi: birth_date}}
    """,
    "models/staging/stg_police__suspects.sql":
        "select id_token, birth_date from {{ source('police', 'suspects') }}",
    "models/marts/_marts.yml": """
        version: 2
        models:
          - name: person_cases
            columns:
              - {name: person_token, meta: {level: important, pi: none}}
              - {name: birth_year, meta: {level: LEVEL, pi: birth_date}}
    """,
    "models/marts/person_cases.sql": "select id_token as person_token, year(birth_date) as "
                                     "birth_year from {{ ref('stg_police__suspects') }}",
}


def _dbt(project: Path, command: str, target: Path | None = None) -> None:
    from dbt.cli.main import dbtRunner

    args = [command, "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    if target is not None:
        args += ["--target-path", str(target)]
    result = dbtRunner().invoke(args)
    assert result.success, result.exception


@pytest.mark.integration
def test_real_dbt_compile_then_lineage_fails_and_passes_once_fixed(tmp_path, monkeypatch):
    project = tmp_path / "tiny"
    for rel, text in TINY_PROJECT.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("LEVEL", "general"), encoding="utf-8")
    monkeypatch.setenv("TINY_DB", str(tmp_path / "tiny.duckdb"))
    monkeypatch.setenv("SHARED_EXCHANGE_HOME", str(tmp_path / "home"))
    _dbt(project, "compile")
    manifest_path = project / "target" / "manifest.json"
    assert main([str(manifest_path)]) == 1
    found = check_lineage(load_manifest(manifest_path), project / "target" / "compiled")
    assert "police.suspects.birth_date (important)" in found[0].message
    yml = project / "models/marts/_marts.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("level: general",
                                                           "level: important"),
                   encoding="utf-8")
    _dbt(project, "compile")
    assert main([str(manifest_path)]) == 0


@pytest.mark.integration
@pytest.mark.skipif(not (PROJECT_ROOT / "dbt_project" / "dbt_project.yml").exists(),
                    reason="the project's dbt project is not there yet")
def test_the_projects_own_dbt_yaml_is_fully_classified(tmp_path, monkeypatch):
    """`dbt parse` of the real project: every source, model and column is tagged."""
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    monkeypatch.setenv("SHARED_EXCHANGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHARED_EXCHANGE_BUILD_DB", str(tmp_path / "build.duckdb"))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    _dbt(project, "parse")
    found = check_classification(load_manifest(project / "target" / "manifest.json"))
    assert found == [], "\n".join(map(str, found))


@pytest.mark.integration
@pytest.mark.skipif(not (PROJECT_ROOT / "dbt_project" / "dbt_project.yml").exists(),
                    reason="the project's dbt project is not there yet")
def test_the_projects_build_gate_passes_on_a_small_synthetic_home(tmp_path):
    """The build's gate on the real project: dbt compile, every column tagged, every model
    traced by sqlglot and no column below its lineage (就高从严)."""
    from shared_exchange import SOURCES
    from shared_exchange.config import load_settings
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.security.build_checks import enforce_classification
    from shared_exchange.synth import generate

    settings = load_settings(tmp_path / "home")
    generate(settings, persons=40, days=3, seed=3)
    for source in SOURCES:
        ingest_source(settings, source)
    assert enforce_classification(settings, tmp_path / "build.duckdb") == 0
