"""The gateway over the real dbt marts: a published build, or one built here from synthetic data.

With ``SHARED_EXCHANGE_HOME`` pointing at a deployment whose warehouse is published, its
marts are used; otherwise the test builds real marts (synth → ingest → dbt). The catalog is
the project's own dbt YAML.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from shared_exchange.config import PROJECT_ROOT, load_settings
from shared_exchange.identity import normalise_id
from shared_exchange.security.classification import load_catalog
from shared_exchange.security.gateway import Gateway, QueryRefused, connect_read_only
from shared_exchange.security.policy import load_policy

pytestmark = pytest.mark.integration
CLEAR_ID = re.compile(r"\d{17}[\dX]")
CLEAR_MOBILE = re.compile(r"1[3-9]\d{9}")


def _small_build(root) -> object:
    """Synthetic departments → real ingestion → real dbt build; returns the DuckDB file."""
    from shared_exchange import SOURCES
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.synth import generate
    from shared_exchange.warehouse.dbt import run_dbt

    settings = load_settings(root / "home")
    generate(settings, persons=80, days=4, seed=5)
    for source in SOURCES:
        ingest_source(settings, source)
    build = root / "build.duckdb"
    run_dbt(["build"], settings, build)
    return build


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = os.environ.get("SHARED_EXCHANGE_HOME")
    settings = load_settings(home) if home else None
    copy = tmp_path_factory.mktemp("published") / "build.duckdb"
    if settings is not None and settings.published_db.exists():
        # A private copy: the gateway's read-only open must not lock the operators' file.
        shutil.copyfile(settings.published_db.resolve(), copy)
    else:  # no deployment to point at: build real marts from synthetic data
        shutil.copyfile(_small_build(tmp_path_factory.mktemp("pipeline")), copy)
    audit_home = load_settings(tmp_path_factory.mktemp("home"))
    gateway = Gateway(audit_home, catalog=load_catalog(PROJECT_ROOT / "dbt_project"),
                      database=copy)
    yield gateway, copy
    gateway.close()


def _no_clear_pii(rows) -> None:
    for row in rows:
        for value in row:
            text = str(value)
            for found in CLEAR_ID.findall(text):
                assert normalise_id(found).status != "valid", "clear ID number returned"
            assert not CLEAR_MOBILE.fullmatch(text), "clear mobile number returned"


def test_every_role_sees_each_mart_only_in_its_forms(published) -> None:
    gateway, _ = published
    policy = load_policy()
    for role in policy.roles:
        for dataset in sorted(policy.datasets):
            try:
                result = gateway.query(f"SELECT * FROM {dataset} LIMIT 50", actor="t",
                                       role=role, purpose="integration test",
                                       region="3301" if role == "case_officer" else None)
            except QueryRefused as refused:
                assert refused.rule in {"dataset", "classification", "sealed", "region"}
                continue
            assert dataset in policy.role(role).datasets
            assert "sealed" not in result.columns
            _no_clear_pii(result.rows)


def test_analysts_never_count_sealed_rows(published) -> None:
    gateway, copy = published
    with connect_read_only(copy) as conn:  # the gateway's config: one DuckDB instance
        open_rows = conn.execute("SELECT count(*) FROM person_cases WHERE NOT sealed"
                                 ).fetchone()[0]
    result = gateway.query("SELECT count(*) FROM person_cases", actor="t", role="analyst",
                           purpose="integration test")
    assert result.rows == [(open_rows,)]


def test_case_officers_see_their_city_only(published) -> None:
    gateway, _ = published
    result = gateway.query("SELECT DISTINCT county_code FROM person_cases", actor="t",
                           role="case_officer", purpose="integration test", region="3301")
    assert all(str(code).startswith("3301") for (code,) in result.rows)
