"""The person_identities gate: a clear value in a masked column, or a missing mart, blocks it."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest
from marts_builder import write_marts

from shared_exchange.identity import make_id
from shared_exchange.quality import publish as pub
from shared_exchange.quality.gates import GateFailed, gate_layer
from shared_exchange.quality.suites import load_suite, restricted_models


def _clear(pi: str) -> str:
    """A clear-looking value generated at test time (nobody's)."""
    rng = random.Random()
    if pi == "id_number":
        return make_id("330106", dt.date(1980, 1, 1) + dt.timedelta(days=rng.randrange(9000)),
                       rng.randrange(1000))
    if pi == "phone":
        return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
    han = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(3))
    return han if pi == "name" else f"浙江省杭州市西湖区{han}路{rng.randrange(1, 999)}号"


def _build(settings, run_id: str, sql: str | None = None, params: list | None = None):
    build = pub.start_build(settings, run_id)
    write_marts(build.path, persons=40)
    if sql:
        with duckdb.connect(str(build.path)) as con:
            con.execute(sql, params or [])
    return build


def test_person_identities_is_a_gated_restricted_mart() -> None:
    config = restricted_models()
    assert "person_identities" in config.restricted and "person_identities" in config.marts
    checks = {e["meta"]["check"] for e in load_suite("person_identities").expectations}
    assert {"key_unique", "key_present", "id_number_masked_shape", "name_masked_shape",
            "phone_masked_shape", "address_masked_to_county"} <= checks


@pytest.mark.integration
def test_clean_identities_pass(settings) -> None:
    build = _build(settings, "identities_clean")
    result = gate_layer(settings, "marts", build.path, "identities_clean")
    assert "person_identities" in {r.dataset for r in result}


@pytest.mark.integration
@pytest.mark.parametrize(("pi", "check"), [
    ("id_number", "id_number_masked_shape"),
    ("name", "name_masked_shape"),
    ("phone", "phone_masked_shape"),
    ("address", "address_masked_to_county"),
])
def test_a_clear_value_in_a_masked_column_fails_the_gate(settings, pi, check) -> None:
    column, value = f"{pi}_masked", _clear(pi)
    build = _build(settings, f"identities_{check}",
                   f"update person_identities set {column} = ? where person_token = "
                   "(select min(person_token) from person_identities)", [value])
    with pytest.raises(GateFailed) as caught:
        gate_layer(settings, "marts", build.path, f"identities_{check}")
    detail = next(d for d in caught.value.details if d["check"] == check)
    assert detail["dataset"] == "person_identities"
    assert value not in str(caught.value)  # failures name tokens, never the value


@pytest.mark.integration
def test_missing_person_identities_fails_the_gate(settings) -> None:
    build = _build(settings, "identities_missing", "drop table person_identities")
    with pytest.raises(GateFailed) as caught:
        gate_layer(settings, "marts", build.path, "identities_missing")
    checks = {d["check"] for d in caught.value.details if d["dataset"] in
              ("person_identities", "mart_catalog")}
    assert {"model_present", "all_marts_built"} <= checks
