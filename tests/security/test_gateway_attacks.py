"""Attacks through the SQL gateway: each is refused or neutralised, and each is audited.

The published build is generated at test time (shared_exchange.security.testing); its
``person_identities`` table deliberately holds clear synthetic identifiers so that the
tests can show the gateway would never reveal them even if they reached the warehouse.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from shared_exchange.audit import AuditLog
from shared_exchange.config import load_settings
from shared_exchange.security.classification import catalog_from_yml
from shared_exchange.security.gateway import Gateway, QueryRefused, connect_read_only
from shared_exchange.security.sql_guard import fingerprint
from shared_exchange.security.testing import build_demo_marts

MASKED_ID = re.compile(r"(\d{6}\*{8}[\dX]{4}|\*{18})")
MASKED_PHONE = re.compile(r"\d{3}\*{4}\d{4}")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("gateway")
    build = build_demo_marts(root / "build")
    settings = load_settings(root / "home")
    settings.warehouse.mkdir(parents=True)
    settings.published_db.symlink_to(build.database)
    gateway = Gateway(settings, catalog=catalog_from_yml(build.models_dir))
    with duckdb.connect(str(build.database), read_only=True) as conn:
        truth = conn.execute("SELECT person_token, id_number, birth_date, county_code, sealed "
                             "FROM person_identities").fetchall()
    yield settings, gateway, build, truth
    gateway.close()


def audited(settings, sql: str) -> dict:
    """The newest audit event for this statement (fails if there is none)."""
    fp = fingerprint(sql)
    events = [e for e in AuditLog(settings).events() if e.get("statement_fingerprint") == fp]
    assert events, "the decision was not audited"
    return events[-1]


def ask(world, sql: str, role: str = "analyst", **kw):
    settings, gateway, *_ = world
    kw.setdefault("purpose", "indicator review")
    return gateway.query(sql, actor="u-attacker", role=role, **kw)


def refused(world, sql: str, rule: str | None = None, **kw) -> QueryRefused:
    with pytest.raises(QueryRefused) as info:
        ask(world, sql, **kw)
    if rule:
        assert info.value.rule == rule, info.value.reason
    event = audited(world[0], sql)
    assert event["decision"] == "denied" and event["type"] == "query.denied"
    assert sql not in str(event)  # the SQL text never enters the log
    return info.value


# ---- refused outright ------------------------------------------------------------------

REFUSED = [
    ("SELECT * FROM read_csv('/etc/passwd')", "table_function"),
    ("SELECT * FROM read_csv_auto('/etc/passwd', header=false)", "table_function"),
    ("SELECT * FROM '/etc/passwd'", "dataset"),
    ('SELECT * FROM "/etc/passwd"', "dataset"),
    ("SELECT * FROM query_table('raw_police_suspects')", "table_function"),
    ("SELECT * FROM glob('/work/*')", "table_function"),
    ("SELECT * FROM duckdb_tables()", "table_function"),
    ("SELECT getenv('HOME')", "function"),
    ("SELECT current_setting('enable_external_access')", "function"),
    ("COPY person_cases TO '/tmp/leak.csv'", "statement"),
    ("COPY (SELECT * FROM person_identities) TO '/tmp/leak.parquet' (FORMAT parquet)",
     "statement"),
    ("ATTACH '/tmp/other.duckdb' AS other", "statement"),
    ("DETACH other", "statement"),
    ("INSTALL httpfs", "statement"),
    ("LOAD httpfs", "statement"),
    ("PRAGMA database_list", "statement"),
    ("CALL pragma_version()", "statement"),
    ("SET enable_external_access = true", "statement"),
    ("EXPORT DATABASE '/tmp/dump'", "parse"),
    ("DESCRIBE person_identities", "statement"),
    ("SUMMARIZE person_identities", "statement"),
    ("CREATE TABLE copy AS SELECT * FROM person_identities", "statement"),
    ("SELECT * INTO leak FROM person_cases", "statement"),
    ("SELECT 1 FROM person_cases; DROP TABLE person_cases", "statements"),
    ("SELECT 1 FROM person_cases -- harmless\n; ATTACH '/tmp/x.duckdb' AS x", "statements"),
    ("SELECT 1 FROM person_cases；ATTACH '/tmp/x.duckdb' AS x", "parse"),  # full-width ；
    ("SELECT * FROM person\u200b_cases", "text"),  # zero-width space
    ("SELECT * FROM person_cases -- \u202eRLO override", "text"),
    ("SELECT * FROM p\u0435rson_cases", "dataset"),  # Cyrillic е, a homoglyph
    ("SELECT * FROM ｐｅｒｓｏｎ_cases", "dataset"),  # full-width letters
    ("SELECT * FROM raw_police_suspects", "dataset"),
    ("SELECT * FROM stg_police__suspects", "dataset"),
    ("SELECT * FROM main_staging.stg_police__suspects", "dataset"),
    ("SELECT id_number FROM person_cases UNION ALL SELECT id_number FROM "
     "main_staging.stg_police__suspects", "dataset"),
    ("SELECT * FROM information_schema.tables", "dataset"),
    ("SELECT * FROM build.main.person_cases", "dataset"),
    ("SELECT * FROM (WITH s AS (SELECT 1) SELECT * FROM s) t, raw_police_suspects",
     "dataset"),
    ("SELECT count(*) FROM person_cases WHERE sealed", "column"),
    ("SELECT person_token FROM person_cases WHERE NOT sealed", "column"),
]


@pytest.mark.parametrize(("sql", "rule"), REFUSED, ids=[f"refused-{i}" for i in
                                                          range(len(REFUSED))])
def test_attack_is_refused_and_audited(world, sql: str, rule: str) -> None:
    refused(world, sql, rule)


ROLE_ATTACKS = [
    # (sql, role, kwargs, rule)
    ("SELECT * FROM person_cases", "case_officer", {}, "region"),
    ("SELECT * FROM person_cases", "case_officer", {"region": "330106' OR '1'='1"}, "region"),
    ("SELECT * FROM person_cases", "analyst", {"privileges": ("sealed_access",)}, "privilege"),
    ("SELECT * FROM person_cases", "analyst", {"privileges": ("unmask",)}, "privilege"),
    ("SELECT * FROM person_cases", "case_officer",
     {"region": "330106", "privileges": ("sealed_access",), "purpose": "curiosity"},
     "legal_purpose"),
    ("SELECT * FROM person_cases", "security_officer", {}, "dataset"),
    ("SELECT * FROM person_identities", "data_engineer", {}, "dataset"),
    ("SELECT birth_date FROM person_cases", "data_engineer", {}, "column"),
    ("SELECT * FROM person_cases", "auditor", {}, "role"),
    ("SELECT * FROM person_cases", "analyst", {"purpose": "  "}, "purpose"),
]


@pytest.mark.parametrize(("sql", "role", "kw", "rule"), ROLE_ATTACKS,
                         ids=[f"role-{i}" for i in range(len(ROLE_ATTACKS))])
def test_role_attack_is_refused_and_audited(world, sql, role, kw, rule) -> None:
    refused(world, sql, rule, role=role, **kw)


def test_runaway_query_is_stopped_by_the_timeout(world) -> None:
    sql = ("SELECT count(*) FROM person_cases a, person_cases b, person_cases c, "
           "person_cases d, person_cases e WHERE a.filed_date <> e.filed_date")
    refused(world, sql, "timeout", timeout_s=0.3)


# ---- neutralised: the query runs, but on masked values and filtered rows ---------------

def _rewritten(world, sql: str, **kw):
    result = ask(world, sql, **kw)
    event = audited(world[0], sql)
    assert event["decision"] == result.decision == "rewritten"
    assert event["rows_returned"] == len(result.rows)
    return result


def test_cte_selecting_a_masked_column_sees_the_mask(world) -> None:
    sql = "WITH x AS (SELECT id_number, phone FROM person_identities) SELECT * FROM x"
    result = _rewritten(world, sql)
    assert all(MASKED_ID.fullmatch(i) and MASKED_PHONE.fullmatch(p) for i, p in result.rows)
    assert audited(world[0], sql)["masked"] is True


def test_scalar_subquery_selecting_a_masked_column_sees_the_mask(world) -> None:
    sql = "SELECT (SELECT max(id_number) FROM person_identities) AS leak"
    assert MASKED_ID.fullmatch(_rewritten(world, sql).rows[0][0])


def test_like_on_a_masked_id_cannot_probe_the_clear_value(world) -> None:
    _, _, _, truth = world
    token, number = next((t, n) for t, n, _, _, sealed in truth if not sealed)
    for probe in (number[:10] + "%", number, f"%{number[6:14]}%"):
        sql = ("SELECT count(*) FROM person_identities WHERE person_token = "
               f"'{token}' AND id_number LIKE '{probe}'")
        assert _rewritten(world, sql).rows == [(0,)]  # the clear value would match


def test_substring_of_a_masked_id_yields_only_stars(world) -> None:
    sql = "SELECT DISTINCT substr(id_number, 7, 8) FROM person_identities"
    assert _rewritten(world, sql).rows == [("********",)]


def test_group_by_a_masked_column_groups_masked_values(world) -> None:
    sql = "SELECT name, phone, count(*) FROM person_identities GROUP BY name, phone"
    for name, phone, _ in _rewritten(world, sql).rows:
        assert name.endswith("*") and len(name) <= 3 and MASKED_PHONE.fullmatch(phone)


def test_order_or_filter_by_birth_date_sees_only_the_year(world) -> None:
    sql = "SELECT DISTINCT birth_date FROM person_cases ORDER BY birth_date"
    years = [r[0] for r in _rewritten(world, sql).rows]
    assert all(isinstance(y, int) for y in years)
    refused(world, "SELECT * FROM person_cases WHERE birth_date = DATE '2006-04-02'",
            "execution")


def test_joining_sealed_rows_returns_nothing(world) -> None:
    _, _, build, _ = world
    sql = ("SELECT i.name, c.charge FROM person_identities i JOIN person_cases c "
           f"USING (person_token) JOIN case_events e USING (person_token) "
           f"WHERE i.person_token = '{build.sealed_token}'")
    assert _rewritten(world, sql).rows == []


def test_counting_a_cell_of_one_sealed_person_counts_none(world) -> None:
    _, _, _, truth = world
    cell = [t for t, _, born, region, _ in truth if region == "330106" and born.year == 2006]
    assert len(cell) == 1  # ground truth: the cell holds exactly the sealed juvenile
    sql = ("SELECT count(*) FROM person_cases WHERE county_code = '330106' "
           "AND birth_date = 2006")
    assert _rewritten(world, sql).rows == [(0,)]


def test_case_officer_cannot_read_another_county(world) -> None:
    sql = "SELECT count(*) FROM person_cases WHERE county_code = '330203'"
    assert _rewritten(world, sql, role="case_officer", region="330106").rows == [(0,)]
    own = "SELECT DISTINCT county_code FROM person_cases"
    result = _rewritten(world, own, role="case_officer", region="3301")
    assert {r[0][:4] for r in result.rows} == {"3301"}


def test_case_officer_reads_events_of_own_county_through_person_cases(world) -> None:
    """case_events has no region column: the policy's region_via filters it."""
    sql = ("SELECT DISTINCT c.county_code FROM case_events e JOIN person_cases c "
           "USING (person_case_id)")
    result = _rewritten(world, sql, role="case_officer", region="330108")
    assert result.rows == [("330108",)]
    own = _rewritten(world, "SELECT count(*) FROM case_events", role="case_officer",
                     region="330108")
    assert 0 < own.rows[0][0] < world[2].persons / 3


def test_comments_are_dropped_from_what_runs(world) -> None:
    sql = "SELECT /* ; ATTACH '/tmp/x' */ count(*) FROM person_cases -- ; INSTALL httpfs"
    result = _rewritten(world, sql)
    assert "ATTACH" not in result.rewritten_sql and "INSTALL" not in result.rewritten_sql


def test_columns_regex_sees_only_the_secure_view(world) -> None:
    sql = "SELECT COLUMNS('id_.*') FROM person_identities"
    try:
        result = ask(world, sql)
    except QueryRefused:
        assert audited(world[0], sql)["decision"] == "denied"
    else:
        assert all(MASKED_ID.fullmatch(v) for row in result.rows for v in row)


# ---- legitimate use, sealed access and limits -------------------------------------------

def test_sealed_access_with_a_legal_purpose_is_logged_as_such(world) -> None:
    settings, _, build, _ = world
    sql = f"SELECT person_token FROM person_cases WHERE person_token = '{build.sealed_token}'"
    result = ask(world, sql, role="case_officer", region="330106",
                 privileges=("sealed_access",), purpose="case_handling")
    assert result.rows == [(build.sealed_token,)]
    events = [e for e in AuditLog(settings).events()
              if e.get("statement_fingerprint") == fingerprint(sql)]
    assert {e["type"] for e in events} == {"query.rewritten", "sealed_access"}


def test_scoreboards_are_allowed_unchanged_and_rows_are_limited(world) -> None:
    sql = "SELECT * FROM scoreboard_daily ORDER BY business_date"
    result = ask(world, sql, role="security_officer", max_rows=5)
    assert result.decision == "allowed" and len(result.rows) == 5 and result.truncated
    assert audited(world[0], sql)["decision"] == "allowed"


def test_the_connection_itself_is_read_only_and_offline(world) -> None:
    """Defence in depth: even SQL that got past the checks could not leave the build."""
    _, _, build, _ = world
    conn = connect_read_only(build.database)
    try:
        for sql in ("SELECT * FROM read_csv('/etc/passwd')", "ATTACH '/tmp/x.duckdb' AS x",
                    "SET enable_external_access = true", "INSTALL httpfs",
                    "CREATE TABLE t AS SELECT 1", "COPY person_cases TO '/tmp/leak.csv'"):
            with pytest.raises(duckdb.Error):
                conn.execute(sql)
    finally:
        conn.close()
