"""Chunked gates: with a tiny chunk size, big tables are validated in pieces by real GX, and
the combined verdicts and counts equal the one-frame path's (issue 6: memory bounded)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from shared_exchange.quality import chunks, engine
from shared_exchange.quality.chunks import ChunkedTable, table_source
from shared_exchange.quality.suites import SuiteSpec

TINY = 7
_files = itertools.count()


def _spec(expectations: list[dict], keys: list[str] | None = None) -> SuiteSpec:
    for i, exp in enumerate(expectations):
        exp.setdefault("meta", {}).setdefault("check", f"check_{i}")
    return SuiteSpec(name="chunk_test", path=Path("chunk_test.json"),
                     meta={"keys": keys or ["row_key"]}, expectations=tuple(expectations))


def _db(tmp_path: Path, frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / f"t{next(_files)}.duckdb"))
    con.register("_frame", frame)
    con.execute("create table gated as select * from _frame")
    con.unregister("_frame")
    return con


def _both(con, spec: SuiteSpec, params: dict | None = None, docs: Path | None = None):
    """(one-frame validation, chunked validation, the chunked table) of table ``gated``."""
    select = "select * from gated"
    whole = con.execute(select).df()
    one = engine.validate(spec, {"": whole}, params or {}, run_id="one", docs_dir=None)
    source = table_source(con, select)
    assert isinstance(source, ChunkedTable), "the table must be bigger than one chunk"
    chunked = engine.validate(spec, {"": source}, params or {}, run_id="chunked", docs_dir=docs)
    return one, chunked, source


def _summary(validation: engine.Validation) -> list[tuple]:
    out = []
    for result in validation.outcomes[""].results:
        info = result.result or {}
        out.append((result.expectation_config.type, result.success,
                    info.get("element_count"), info.get("unexpected_count"),
                    info.get("missing_count"), json.dumps(info.get("observed_value"),
                                                          default=str, sort_keys=True)))
    return sorted(out)  # GX lists an expectation that raised after the others


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK_ROWS", TINY)


def _nulls_frame(null_rows: list[int], n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({
        "row_key": [f"r{i:03d}" for i in range(n)],
        "value": [None if i in null_rows else f"v{i % 4}" for i in range(n)],
    })


def test_not_null_mostly_passes_though_one_chunk_alone_fails(tmp_path, tiny_chunks):
    spec = _spec([{"type": "expect_column_values_to_not_be_null",
                   "kwargs": {"column": "value", "mostly": 0.9}}])
    con = _db(tmp_path, _nulls_frame([0, 1, 2]))  # 3/50 overall, 3/7 in the first chunk
    one, chunked, source = _both(con, spec)
    assert not chunked.failures and not one.failures
    assert _summary(chunked) == _summary(one)
    assert chunked.outcomes[""].results[0].result["unexpected_count"] == 3
    assert source.reads == ["chunks"]
    # the first chunk alone fails the same expectation: the combination is what passes
    first = next(iter(source.chunks()))
    alone = engine.validate(spec, {"": first}, {}, run_id="alone", docs_dir=None)
    assert len(first) == TINY and alone.failures


def test_not_null_mostly_fails_on_the_sum_over_chunks(tmp_path, tiny_chunks):
    spec = _spec([{"type": "expect_column_values_to_not_be_null",
                   "kwargs": {"column": "value", "mostly": 0.9}}])
    # 8/50 nulls spread over the chunks: the verdict and the count come from the sum
    con = _db(tmp_path, _nulls_frame([3, 10, 17, 24, 31, 38, 45, 49]))
    one, chunked, _ = _both(con, spec)
    [failure] = chunked.failures
    assert failure.unexpected_count == 8
    assert failure.sample_keys[:2] == [{"row_key": "r003"}, {"row_key": "r010"}]
    assert [f.unexpected_count for f in one.failures] == [8]
    assert _summary(chunked) == _summary(one)


def test_duplicate_key_split_across_slices_is_found_by_hash_partitions(tmp_path, tiny_chunks):
    n = 50
    frame = pd.DataFrame({"row_key": [f"r{i:03d}" for i in range(n)],
                          "case_no": [f"c{i:03d}" for i in range(n)],
                          "seq": [i % 3 for i in range(n)]})
    # five pairs, each far apart in row order: sequential slices of 7 would split every one
    pairs = [(2, 41), (5, 30), (9, 48), (13, 20), (0, 35)]
    for first, second in pairs:
        frame.loc[second, ["case_no", "seq"]] = frame.loc[first, ["case_no", "seq"]].to_numpy()
    spec = _spec([
        {"type": "expect_compound_columns_to_be_unique",
         "kwargs": {"column_list": ["case_no", "seq"], "ignore_row_if": "any_value_is_missing"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "row_key"}},
    ])
    con = _db(tmp_path, frame)
    one, chunked, source = _both(con, spec)
    [failure] = chunked.failures
    assert failure.unexpected_count == 10
    assert sorted(k["row_key"] for k in failure.sample_keys) == sorted(
        f"r{i:03d}" for pair in pairs for i in pair)
    assert _summary(chunked) == _summary(one)
    # read as partitions (never as the sequential slices that would split the pair)
    assert any(r.startswith("partition") and "case_no,seq" in r for r in source.reads)
    assert "chunks" not in source.reads and "whole" not in source.reads


@pytest.mark.parametrize("rows,expect_pass", [(50, True), (49, False)])
def test_row_count_and_distinct_set_match_the_one_frame_verdict(tmp_path, tiny_chunks,
                                                                rows, expect_pass):
    frame = pd.DataFrame({"row_key": [f"r{i:03d}" for i in range(rows)],
                          "region": [f"33{(i % 11) + 1:02d}" for i in range(rows)]})
    if not expect_pass:
        frame.loc[frame["region"] == "3305", "region"] = "3304"
    spec = _spec([
        {"type": "expect_table_row_count_to_equal", "kwargs": {"value": {"$PARAMETER": "n"}}},
        {"type": "expect_table_row_count_to_be_between",
         "kwargs": {"min_value": {"$PARAMETER": "min_rows"}, "max_value": 60}},
        {"type": "expect_column_distinct_values_to_contain_set",
         "kwargs": {"column": "region", "value_set": ["3301", "3305", "3311"]}},
    ])
    params = {"n": 50, "min_rows": 50}
    con = _db(tmp_path, frame)
    one, chunked, source = _both(con, spec, params)
    assert _summary(chunked) == _summary(one)
    strip = [(f.check, f.expectation, f.observed, f.expected, f.unexpected_count, f.sample_keys)
             for f in chunked.failures]
    assert strip == [(f.check, f.expectation, f.observed, f.expected, f.unexpected_count,
                      f.sample_keys) for f in one.failures]
    assert (not chunked.failures) is expect_pass
    assert source.reads == ["distinct region"]
    if not expect_pass:
        assert {f.check for f in chunked.failures} == {"check_0", "check_1", "check_2"}
        assert {"missing": "3305"} in chunked.failures[2].sample_keys


def test_chunked_gate_builds_data_docs_from_the_combined_result(tmp_path, tiny_chunks):
    spec = _spec([{"type": "expect_column_values_to_not_be_null",
                   "kwargs": {"column": "value", "mostly": 0.9}}])
    con = _db(tmp_path, _nulls_frame([3, 10, 17, 24, 31, 38, 45, 49]))
    _, chunked, _ = _both(con, spec, docs=tmp_path / "docs")
    pages = [p for p in (tmp_path / "docs").rglob("*.html") if "validations" in p.parts]
    assert chunked.docs_index.exists() and len(pages) == 1  # one page, not one per chunk
    assert "8" in pages[0].read_text(encoding="utf-8")


def test_a_missing_column_fails_alike_instead_of_crashing(tmp_path, tiny_chunks):
    spec = _spec([
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "gone"}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["gone", "x"]}},
        {"type": "expect_column_distinct_values_to_contain_set",
         "kwargs": {"column": "gone", "value_set": ["a"]}},
    ])
    con = _db(tmp_path, _nulls_frame([]))
    one, chunked, _ = _both(con, spec)
    assert sorted((f.check, f.error) for f in chunked.failures) == \
        sorted((f.check, f.error) for f in one.failures)
    assert [f.error for f in chunked.failures] == \
        ['Error: The column "gone" in BatchData does not exist.'] * 3


# -- the chunked verdict is the one-frame verdict, for random frames and chunk sizes --------

_cells = st.one_of(st.none(), st.integers(0, 4))


@st.composite
def _frames(draw):
    n = draw(st.integers(2, 24))
    return pd.DataFrame({
        "row_key": [f"r{i:03d}" for i in range(n)],
        "k1": pd.array(draw(st.lists(_cells, min_size=n, max_size=n)), dtype="Int64"),
        "k2": pd.array(draw(st.lists(_cells, min_size=n, max_size=n)), dtype="Int64"),
        "a": pd.array(draw(st.lists(_cells, min_size=n, max_size=n)), dtype="Int64"),
        "b": pd.array(draw(st.lists(_cells, min_size=n, max_size=n)), dtype="Int64"),
        "code": draw(st.lists(st.sampled_from([None, "x1", "x2", "y9"]), min_size=n,
                              max_size=n)),
    })


_mostly = st.sampled_from([None, 0.5, 0.8, 0.95])
_ignore = st.sampled_from(["any_value_is_missing", "all_values_are_missing", "never"])


def _with_mostly(exp: dict, mostly: float | None) -> dict:
    if mostly is not None:
        exp["kwargs"]["mostly"] = mostly
    return exp


@hyp_settings(max_examples=12, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
@given(frame=_frames(), size=st.integers(2, 9), m=st.lists(_mostly, min_size=4, max_size=4),
       ignore=_ignore)
def test_chunked_equals_one_frame_for_map_and_unique_types(tmp_path, monkeypatch, frame, size,
                                                           m, ignore):
    monkeypatch.setattr(chunks, "CHUNK_ROWS", min(size, len(frame) - 1))
    spec = _spec([
        _with_mostly({"type": "expect_column_values_to_not_be_null",
                      "kwargs": {"column": "code"}}, m[0]),
        _with_mostly({"type": "expect_column_values_to_be_in_set",
                      "kwargs": {"column": "code", "value_set": ["x1", "x2"]}}, m[1]),
        _with_mostly({"type": "expect_column_values_to_match_regex",
                      "kwargs": {"column": "code", "regex": "^x"}}, m[1]),
        _with_mostly({"type": "expect_column_values_to_be_between",
                      "kwargs": {"column": "a", "min_value": 1, "max_value": 3}}, m[2]),
        _with_mostly({"type": "expect_column_pair_values_a_to_be_greater_than_b",
                      "kwargs": {"column_A": "a", "column_B": "b", "or_equal": True,
                                 "ignore_row_if": "either_value_is_missing"}}, m[3]),
        {"type": "expect_column_pair_values_to_be_equal",
         "kwargs": {"column_A": "a", "column_B": "b", "ignore_row_if": "either_value_is_missing"}},
        {"type": "expect_compound_columns_to_be_unique",
         "kwargs": {"column_list": ["k1", "k2"], "ignore_row_if": ignore}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "k1"}},
    ])
    con = _db(tmp_path, frame)
    try:
        one, chunked, _ = _both(con, spec)
    finally:
        con.close()
    assert _summary(chunked) == _summary(one)
    assert sorted((f.check, f.unexpected_count) for f in chunked.failures) == \
        sorted((f.check, f.unexpected_count) for f in one.failures)


# -- whole gates, real suites: chunked and one-frame gates fail the same way -----------------


def _details(error: pytest.ExceptionInfo) -> list[tuple]:
    """Every failure of every gate; samples as a set (chunks may meet offenders in another
    order, and there are fewer offenders here than SAMPLE_SIZE)."""
    return sorted((r.dataset, f.check, f.unexpected_count, json.dumps(f.observed, default=str),
                   json.dumps(f.expected, default=str),
                   sorted(json.dumps(k, sort_keys=True) for k in f.sample_keys))
                  for r in error.value.results for f in r.failures)


@pytest.mark.integration
def test_mart_gates_fail_alike_chunked_and_whole(settings, monkeypatch):
    from marts_builder import write_marts

    from shared_exchange.quality import publish as pub
    from shared_exchange.quality.gates import GateFailed, gate_layer

    build = pub.start_build(settings, "chunked_marts")
    write_marts(build.path, persons=60)
    con = duckdb.connect(str(build.path))
    con.execute("insert into person_cases select * from person_cases "
                "where person_case_id = 'pc-00007';"
                "update case_events set sealed = false where person_case_id = 'pc-00010';"
                "update person_cases set city_code = null where person_case_id = 'pc-00042'")
    con.close()
    caught = {}
    for mode, size in (("whole", 10**9), ("chunked", 16)):
        monkeypatch.setattr(chunks, "CHUNK_ROWS", size)
        with pytest.raises(GateFailed) as caught[mode]:
            gate_layer(settings, "marts", build.path, f"marts_{mode}")
    assert _details(caught["chunked"]) == _details(caught["whole"])
    assert {d["check"] for d in caught["chunked"].value.details} >= {
        "key_unique", "sealed_flag_matches_case", "has_region"}
    chunked_gates = {r.dataset: r for r in caught["chunked"].value.results}
    whole_gates = {r.dataset: r for r in caught["whole"].value.results}
    assert chunked_gates["case_events"].rows == whole_gates["case_events"].rows
    assert chunked_gates["case_events"].rows["case_events"] > 10 * 16  # >10 chunks, a query
    assert chunked_gates["person_cases"].data_docs


@pytest.mark.integration
def test_raw_gate_chunked_reads_parquet_in_pieces(settings, monkeypatch):
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.quality.gates import GateFailed, gate_raw
    from shared_exchange.synth import generate

    generate(settings, persons=40, days=2, seed=11)
    batches = [r.batch_id for r in ingest_source(settings, "police") if r.status == "loaded"]
    target = max((settings.raw / "police" / "cases").glob("*.parquet"),
                 key=lambda p: p.stat().st_size)
    con = duckdb.connect()
    con.execute(f"copy (select * replace (null as filed_date) from read_parquet('{target}')) "
                f"to '{target}.tmp' (format parquet)")
    con.close()
    target.with_suffix(".parquet.tmp").replace(target)
    caught = {}
    for mode, size in (("whole", 10**9), ("chunked", 5)):
        monkeypatch.setattr(chunks, "CHUNK_ROWS", size)
        with pytest.raises(GateFailed) as caught[mode]:
            gate_raw(settings, "police", batches, run_id=f"raw_{mode}")
    assert _details(caught["chunked"]) == _details(caught["whole"])
    assert "required_filed_date" in {d["check"] for d in caught["chunked"].value.details}
