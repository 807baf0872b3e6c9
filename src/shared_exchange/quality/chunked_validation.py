"""Validate a ``ChunkedTable`` with GX piece by piece and combine the pieces per expectation.

Every verdict is GX's own, computed on a frame that is exact for the expectation:

- row-wise map expectations (not null, in set, between, regex, column pairs, ...) run on
  sequential slices; their counts are summed and success is recomputed from the totals and
  ``mostly`` exactly as GX does, so one bad slice alone neither fails nor passes the gate;
- uniqueness runs on hash partitions of its key columns (equal keys share a partition);
- row counts run as a twin ``expect_column_values_to_be_between`` on a one-row frame holding
  the count, reported under the original expectation with GX's ``observed_value``;
- distinct-value set expectations run on the frame of distinct values;
- anything else (e.g. monotonic values, which look across rows) gets the whole frame.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd

from shared_exchange.quality.chunks import ChunkedTable

log = logging.getLogger(__name__)

MAP, UNIQUE, ROWS, DISTINCT, WHOLE = "map", "unique", "rows", "distinct", "whole"
UNIQUE_TYPES = frozenset({"expect_column_values_to_be_unique",
                          "expect_compound_columns_to_be_unique"})
ROW_COUNT_TYPES = frozenset({"expect_table_row_count_to_equal",
                             "expect_table_row_count_to_be_between"})
DISTINCT_TYPES = frozenset({"expect_column_distinct_values_to_contain_set",
                            "expect_column_distinct_values_to_be_in_set",
                            "expect_column_distinct_values_to_equal_set"})
# map expectations whose rows depend on their neighbours: a slice boundary would change them
ORDERED_TYPES = frozenset({"expect_column_values_to_be_increasing",
                           "expect_column_values_to_be_decreasing"})
_POSITION = "_chunk_position"
_IGNORED = {"any_value_is_missing": "any", "all_values_are_missing": "all", "never": None}


@cache
def _is_row_map(type_: str) -> bool:
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        impl = get_expectation_impl(type_)
    except Exception:  # unknown to GX: the one-frame run reports it as GX would
        return False
    return issubclass(impl, ColumnMapExpectation | ColumnPairMapExpectation
                      | MulticolumnMapExpectation)


def raised_message(exception_info: Mapping[str, Any] | None) -> str | None:
    """GX's message when an expectation raised; GX 1.x nests it per failed metric."""
    info = exception_info or {}
    for item in [info, *(v for v in info.values() if isinstance(v, Mapping))]:
        if item.get("raised_exception") in (True, "True"):
            return str(item.get("exception_message") or "exception")[:300]
    return None


def kind(expectation: Mapping[str, Any]) -> str:
    """How a chunked table must be read to evaluate ``expectation`` exactly."""
    type_ = expectation["type"]
    if type_ in UNIQUE_TYPES:
        return UNIQUE
    if type_ in ROW_COUNT_TYPES:
        return ROWS
    if type_ in DISTINCT_TYPES:
        return DISTINCT
    if type_ not in ORDERED_TYPES and _is_row_map(type_):
        return MAP
    return WHOLE


def unique_key(expectation: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """Key columns to hash-partition by, and when GX leaves a row out of the check."""
    kwargs = expectation["kwargs"]
    if "column" in kwargs:  # GX never compares nulls of a single column
        return (kwargs["column"],), "any"
    rule = kwargs.get("ignore_row_if", "all_values_are_missing")
    return tuple(kwargs["column_list"]), _IGNORED.get(rule)


@dataclass
class _Runner:
    """Runs a few of a table's expectations on one frame with GX, without storing results."""

    batch_definition: Any
    parameters: Mapping[str, Any]
    result_format: dict[str, Any]
    template: Any = None  # the first suite-level result: its meta describes the batch

    def run(self, frame: pd.DataFrame, group: Sequence[tuple[int, dict]]) -> dict[int, Any]:
        from great_expectations.core.expectation_suite import ExpectationSuite
        from great_expectations.validator.v1_validator import Validator

        tagged = []
        for position, exp in group:
            exp = copy.deepcopy(exp)
            exp.setdefault("meta", {})[_POSITION] = position
            tagged.append(exp)
        suite = ExpectationSuite(name="chunk", expectations=tagged)
        validator = Validator(batch_definition=self.batch_definition,
                              result_format=self.result_format,
                              batch_parameters={"dataframe": frame})
        outcome = validator.validate_expectation_suite(suite, dict(self.parameters))
        if self.template is None:
            self.template = outcome
        out = {}
        for result in outcome.results:
            out[int(result.expectation_config.meta.pop(_POSITION))] = result
        return out


@dataclass
class _Total:
    """Counts of one map expectation summed over the pieces seen so far."""

    first: Any = None
    raised: Any = None
    element: int = 0
    missing: int | None = None
    unexpected: int = 0
    values: list[Any] = field(default_factory=list)
    index: list[Any] | None = None

    def add(self, result: Any, sample: int) -> None:
        if self.first is None:
            self.first = result
        if raised_message(result.exception_info) is not None:
            if self.raised is None:
                self.raised = result
            return
        info = result.result or {}
        self.element += int(info.get("element_count") or 0)
        self.unexpected += int(info.get("unexpected_count") or 0)
        if "missing_count" in info:
            self.missing = (self.missing or 0) + int(info["missing_count"] or 0)
        self.values += (info.get("partial_unexpected_list") or [])[:sample - len(self.values)]
        if "partial_unexpected_index_list" in info:
            self.index = self.index or []
            self.index += info["partial_unexpected_index_list"][:sample - len(self.index)]

    def combined(self, result_format: dict[str, Any]) -> Any:
        """One GX result for the whole table, shaped as GX shapes a map expectation's."""
        from great_expectations.core.expectation_validation_result import (
            ExpectationValidationResult,
        )
        from great_expectations.expectations.expectation import (
            _format_map_output,
            parse_result_format,
        )

        if self.raised is not None:
            return self.raised
        config = self.first.expectation_config
        nonnull = self.element - (self.missing or 0)
        mostly = float(config.kwargs.get("mostly", 1.0))
        # GX's rule (_mostly_success): vacuously true with nothing to judge
        success = (self.element == 0 or nonnull == 0
                   or (float(nonnull) - float(self.unexpected)) / float(nonnull) >= mostly)
        shaped = _format_map_output(
            result_format=parse_result_format(result_format),
            success=success,
            element_count=self.element,
            nonnull_count=None if self.missing is None else nonnull,
            unexpected_count=self.unexpected,
            unexpected_list=self.values,
            unexpected_index_list=self.index,
            unexpected_index_column_names=result_format.get("unexpected_index_column_names"),
        )
        return ExpectationValidationResult(success=success, expectation_config=config,
                                           result=shaped["result"],
                                           meta=self.first.meta, exception_info=None)


def _combine(pieces: Iterable[dict[int, Any]], group: Sequence[tuple[int, dict]],
             result_format: dict[str, Any]) -> dict[int, Any]:
    totals = {position: _Total() for position, _ in group}
    sample = int(result_format.get("partial_unexpected_count", 20))
    for piece in pieces:
        for position, result in piece.items():
            totals[position].add(result, sample)
    return {p: t.combined(result_format) for p, t in totals.items() if t.first is not None}


def _row_count(runner: _Runner, table: ChunkedTable, position: int, exp: dict) -> Any:
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    kwargs = dict(exp["kwargs"])
    if exp["type"] == "expect_table_row_count_to_equal":
        twin_kwargs = {"min_value": kwargs["value"], "max_value": kwargs["value"]}
    else:
        twin_kwargs = {k: kwargs[k] for k in ("min_value", "max_value", "strict_min",
                                               "strict_max") if k in kwargs}
    twin = {"type": "expect_column_values_to_be_between",
            "kwargs": {"column": "row_count", **twin_kwargs}, "meta": exp.get("meta", {})}
    if "severity" in exp:
        twin["severity"] = exp["severity"]
    got = runner.run(pd.DataFrame({"row_count": [table.rows]}), [(position, twin)])[position]
    resolved = got.expectation_config.kwargs
    if exp["type"] == "expect_table_row_count_to_equal":
        kwargs["value"] = resolved.get("min_value")
    else:
        kwargs.update({k: resolved.get(k) for k in ("min_value", "max_value") if k in kwargs})
    config = ExpectationConfiguration(type=exp["type"], kwargs=kwargs,
                                      meta=dict(got.expectation_config.meta or {}),
                                      severity=got.expectation_config.severity)
    return ExpectationValidationResult(success=got.success, expectation_config=config,
                                       result={"observed_value": table.rows},
                                       exception_info=got.exception_info)


def validate_chunked(
    batch_definition: Any,
    expectations: Sequence[dict],
    table: ChunkedTable,
    parameters: Mapping[str, Any],
    result_format: dict[str, Any],
    suite_name: str,
) -> Any:  # -> great_expectations ExpectationSuiteValidationResult
    """GX results for ``expectations`` over ``table``, one per expectation, in suite order."""
    runner = _Runner(batch_definition, parameters, result_format)
    kinds = [(i, e, kind(e)) for i, e in enumerate(expectations)]
    results: dict[int, Any] = {}
    maps = [(i, e) for i, e, k in kinds if k == MAP]
    if maps:
        results.update(_combine((runner.run(c, maps) for c in table.chunks()), maps,
                                result_format))
    by_key: dict[tuple[tuple[str, ...], str | None], list[tuple[int, dict]]] = {}
    for i, e, k in kinds:
        if k == UNIQUE:
            by_key.setdefault(unique_key(e), []).append((i, e))
    samples = list(result_format.get("unexpected_index_column_names") or [])
    for (keys, ignored), group in by_key.items():
        if not set(keys) <= set(table.columns):  # GX names the missing column, as unchunked
            results.update(runner.run(_head(table), group))
            continue
        parts = table.partitions(keys, ignored, samples)
        results.update(_combine((runner.run(p, group) for p in parts), group, result_format))
    for i, e, k in kinds:
        if k == ROWS:
            results[i] = _row_count(runner, table, i, e)
        elif k == DISTINCT:
            column = e["kwargs"]["column"]
            frame = table.distinct(column) if column in table.columns else _head(table)
            results.update(runner.run(frame, [(i, e)]))
    whole = [(i, e) for i, e, k in kinds if k == WHOLE]
    if whole:
        results.update(runner.run(table.whole(), whole))
    return _suite_result(runner.template, [results[i] for i in sorted(results)], suite_name)


def _head(table: ChunkedTable) -> pd.DataFrame:
    """The first chunk: enough for GX to report a column the table does not have."""
    return next(iter(table.chunks()), pd.DataFrame(columns=table.columns))


def _suite_result(template: Any, results: list[Any], suite_name: str) -> Any:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    stats = calc_validation_statistics(results)
    return ExpectationSuiteValidationResult(
        success=stats.success,
        results=results,
        suite_name=suite_name,
        statistics={
            "evaluated_expectations": stats.evaluated_expectations,
            "successful_expectations": stats.successful_expectations,
            "unsuccessful_expectations": stats.unsuccessful_expectations,
            "success_percent": stats.success_percent,
        },
        meta=dict(getattr(template, "meta", None) or {}),
        batch_id=getattr(template, "batch_id", None),
    )
