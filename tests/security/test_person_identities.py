"""person_identities through the gateway, on a real build: generate → ingest → dbt → query.

The mart holds only masked forms made at ingestion; these tests show each role sees what
security-baseline §3 promises and nothing more: analysts and case officers the masked forms
(case officers only for persons with a person-case in their region), data engineers no
person_identities at all, nobody a sealed person without ``sealed_access``, and no query over
a masked column recovering what the mask hid.
"""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from shared_exchange import SOURCES
from shared_exchange.audit import AuditLog
from shared_exchange.config import load_settings
from shared_exchange.ingest.load import ingest_source
from shared_exchange.reports.needles import needles_from_landing
from shared_exchange.security.classification import catalog_from_manifest, load_manifest
from shared_exchange.security.gateway import Gateway, QueryRefused, connect_read_only
from shared_exchange.security.policy import load_policy, masking_matrix
from shared_exchange.security.sql_guard import fingerprint
from shared_exchange.synth import generate
from shared_exchange.warehouse.dbt import DbtRunError, run_dbt

pytestmark = pytest.mark.integration

MASKED_ID = re.compile(r"[0-9]{6}\*{8}[0-9X]{4}|\*{18}")
MASKED_PHONE = re.compile(r"[0-9]{3}\*{4}[0-9]{4}|\*+[0-9]{0,4}")
MASKED_NAME = re.compile(r"[^*]{1,2}\*")
MASKED = ("id_number_masked", "name_masked", "phone_masked", "address_masked")
LEGAL_PURPOSE = "case_handling"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("identities")
    settings = load_settings(root / "home")
    generate(settings, persons=40, days=3, seed=3)
    for source in SOURCES:
        ingest_source(settings, source)
    build = settings.warehouse / "builds" / "identities.duckdb"
    # case_events too: its relationships test is picked by +person_cases (eager selection)
    run_dbt(["build", "--select", "+person_identities", "+case_events"], settings, build)
    catalog = catalog_from_manifest(load_manifest(
        settings.warehouse / "dbt" / "target" / "manifest.json"))
    with duckdb.connect(str(build), read_only=True) as conn:
        truth = conn.execute(
            "SELECT i.person_token, i.sealed, min(c.county_code) FROM person_identities i "
            "JOIN person_cases c USING (person_token) GROUP BY ALL").fetchall()
    gateway = Gateway(settings, catalog=catalog, database=build)
    yield settings, gateway, build, truth, catalog
    gateway.close()


def ask(world, sql: str, role: str = "analyst", **kw):
    kw.setdefault("purpose", "identity review")
    return world[1].query(sql, actor="u-test", role=role, **kw)


def _clear_values(settings) -> set[str]:
    needles = needles_from_landing(settings)
    return set(needles.ids) | set(needles.phones) | set(needles.names)


def test_analyst_sees_masked_forms_and_never_a_clear_value(world) -> None:
    settings, _, _, truth, _ = world
    result = ask(world, "SELECT * FROM person_identities")
    assert "sealed" not in result.columns and set(MASKED) <= set(result.columns)
    assert result.decision == "rewritten"
    assert {f"person_identities.{c}" for c in MASKED} <= set(result.masked_columns)
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    assert len(rows) == sum(1 for _, sealed, _ in truth if not sealed) > 10
    assert all(MASKED_ID.fullmatch(r["id_number_masked"]) for r in rows)
    assert any(r["id_number_masked"] != "*" * 18 for r in rows)
    assert all(MASKED_NAME.fullmatch(r["name_masked"]) for r in rows)
    assert all(r["phone_masked"] is None or MASKED_PHONE.fullmatch(r["phone_masked"])
               for r in rows)
    assert any(r["address_masked"] for r in rows)
    clear = _clear_values(settings)
    assert clear
    for row in rows:
        for value in row.values():
            assert str(value) not in clear
            assert not any(c in str(value) for c in clear if len(c) >= 11)


def test_data_engineer_sees_no_masked_column(world) -> None:
    *_, catalog = world
    with pytest.raises(QueryRefused) as refused:
        ask(world, "SELECT person_token FROM person_identities", role="data_engineer")
    assert refused.value.rule == "dataset"
    matrix = masking_matrix(load_policy(), catalog)
    for column in MASKED:
        assert matrix["data_engineer"][f"person_identities.{column}"] == "hidden"
        assert matrix["analyst"][f"person_identities.{column}"] == column.removesuffix(
            "_masked")
        assert matrix["case_officer"][f"person_identities.{column}"] != "hidden"
    # the pi kind, not the dataset, hides them: a mart carrying *_masked columns that the
    # data engineer may read would show them hidden too
    policy = load_policy()
    assert all(policy.role("data_engineer").form(catalog.column("person_identities", c).pi)
               == "hidden" for c in MASKED)


def test_sealed_person_is_invisible_without_sealed_access(world) -> None:
    _, _, _, truth, _ = world
    sealed = [(token, county) for token, is_sealed, county in truth if is_sealed]
    assert sealed, "the generated home should hold a sealed juvenile record"
    token, county = sealed[0]
    probe = f"SELECT count(*) FROM person_identities WHERE person_token = '{token}'"
    assert ask(world, probe).rows == [(0,)]
    assert ask(world, probe, role="case_officer", region=county).rows == [(0,)]
    opened = ask(world, probe, role="case_officer", region=county,
                 privileges=("sealed_access",), purpose=LEGAL_PURPOSE)
    assert opened.rows == [(1,)]
    events = [e for e in AuditLog(world[0]).events()
              if e.get("statement_fingerprint") == fingerprint(probe)]
    assert any(e.get("type") == "sealed_access" for e in events)


def test_case_officer_sees_only_persons_with_a_case_in_their_region(world) -> None:
    _, _, build, truth, _ = world
    county = next(c for _, sealed, c in truth if not sealed and c)
    city = county[:4]
    with connect_read_only(build) as conn:
        allowed = {r[0] for r in conn.execute(
            "SELECT DISTINCT person_token FROM person_cases WHERE starts_with(county_code, ?)",
            [city]).fetchall()}
    result = ask(world, "SELECT person_token FROM person_identities", role="case_officer",
                 region=city)
    seen = {r[0] for r in result.rows}
    open_tokens = {t for t, sealed, _ in truth if not sealed}
    assert seen and seen == allowed & open_tokens
    assert seen < open_tokens  # persons of other regions are filtered out


def test_like_and_substr_on_a_masked_column_recover_nothing(world) -> None:
    """Masking happened at ingestion, so the stored value is the mask: trivially true."""
    _, _, build, _, _ = world
    middles = ask(world, "SELECT DISTINCT substr(id_number_masked, 7, 8) FROM person_identities")
    assert set(middles.rows) <= {("********",)}
    for digit in "0123456789":
        probe = ("SELECT count(*) FROM person_identities "
                 f"WHERE id_number_masked LIKE '______{digit}%'")
        assert ask(world, probe).rows == [(0,)]
    phones = ask(world, "SELECT DISTINCT substr(phone_masked, 4, 4) FROM person_identities "
                        "WHERE phone_masked IS NOT NULL")
    assert set(phones.rows) <= {("****",)}
    names = ask(world, "SELECT max(length(name_masked)) FROM person_identities")
    assert names.rows[0][0] <= 3
    with connect_read_only(build) as conn:  # storage, not only the view
        stored = conn.execute("SELECT count(*) FROM person_identities WHERE NOT "
                              "regexp_full_match(id_number_masked, "
                              "'[0-9]{6}[*]{8}[0-9X]{4}|[*]{18}')").fetchone()[0]
    assert stored == 0


def test_every_person_case_token_has_an_identity_and_the_dbt_test_can_fail(world,
                                                                        tmp_path) -> None:
    settings, _, build, _, _ = world
    broken = tmp_path / "broken.duckdb"
    shutil.copyfile(build, broken)
    with duckdb.connect(str(broken)) as conn:
        conn.execute("DELETE FROM person_identities WHERE person_token = "
                     "(SELECT min(person_token) FROM person_identities)")
    with pytest.raises(DbtRunError, match="includes_every_key_of"):
        run_dbt(["test", "--select", "person_identities"], settings, broken)
