"""Run one suite over pandas frames with GX Core 1.x and build its Data Docs.

GX's SQL engine over duckdb-engine returns empty metrics (GX issues #10738, #11579), so the
frames are read from DuckDB/Parquet into pandas by the caller and validated here through an
ephemeral context, a pandas data source, one dataframe asset per table and a
``ValidationDefinition`` per table. Each gate gets its own context and Data Docs site, so
gates running in different Airflow task processes never overwrite each other's pages. Tables
bigger than one chunk arrive as ``chunks.ChunkedTable`` and are validated in bounded pieces.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shared_exchange.quality.chunked_validation import raised_message, validate_chunked
from shared_exchange.quality.chunks import ChunkedTable
from shared_exchange.quality.suites import SuiteSpec, to_gx_suite

log = logging.getLogger(__name__)

# Sample of offending rows a failure names (GX's partial_unexpected_count).
SAMPLE_SIZE = 10


@dataclass
class Failure:
    """One expectation that did not hold: what, where, how often, which rows."""

    check: str
    expectation: str
    table: str
    column: str | None
    severity: str
    unexpected_count: int | None = None
    observed: Any = None
    expected: dict[str, Any] = field(default_factory=dict)
    sample_keys: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def describe(self, dataset: str) -> str:
        where = f"{dataset}.{self.table}" if self.table else dataset
        col = f" on {self.column}" if self.column else ""
        what = (f"{self.unexpected_count} rows" if self.unexpected_count
                else f"observed {self.observed}, expected {self.expected}")
        if self.error:
            what = self.error
        keys = f"; sample keys {self.sample_keys[:5]}" if self.sample_keys else ""
        return f"{where}: {self.check} ({self.expectation}{col}) failed: {what}{keys}"


@dataclass
class Validation:
    """What GX said about one suite over its frames."""

    evaluated: int
    failures: list[Failure]
    docs_index: Path | None
    # GX's suite-level result per table (combined over pieces for a chunked table)
    outcomes: dict[str, Any] = field(default_factory=dict)


def _context(docs_dir: Path):
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
    }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={"gate": site},
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _failure(result, table: str, keys: list[str]) -> Failure:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    info = result.result or {}
    error = raised_message(result.exception_info)
    samples = [
        {k: _json_safe(row.get(k)) for k in keys if k in row}
        for row in info.get("partial_unexpected_index_list") or []
        if isinstance(row, dict)
    ]
    # set expectations (e.g. distinct values contain set) report what is missing instead
    samples += [{"missing": _json_safe(v)} for v in info.get("partial_missing_list") or []]
    bounds = ("value", "min_value", "max_value", "value_set", "mostly")
    return Failure(
        check=str((config.meta or {}).get("check", config.type)),
        expectation=config.type,
        table=table,
        column=kwargs.get("column") or _pair(kwargs),
        severity=str(getattr(config.severity, "value", config.severity or "critical")),
        unexpected_count=info.get("unexpected_count", info.get("missing_count")),
        observed=_json_safe(info.get("observed_value")),
        expected=_json_safe({k: kwargs[k] for k in bounds if k in kwargs}),
        sample_keys=samples,
        error=error,
    )


def _pair(kwargs: Mapping[str, Any]) -> str | None:
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    return None


def validate(
    spec: SuiteSpec,
    frames: Mapping[str, pd.DataFrame | ChunkedTable],
    parameters: Mapping[str, Any],
    *,
    run_id: str,
    docs_dir: Path | None,
) -> Validation:
    """Validate each table's frame against its part of ``spec``; build Data Docs if asked.

    A ``ChunkedTable`` (more rows than one chunk) is validated piece by piece and its pieces
    combined per expectation (chunked_validation); its Data Docs page shows the combined result.
    """
    context = _context(docs_dir or Path(os.devnull))
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    source = context.data_sources.add_pandas(f"{spec.name}_frames")
    gx_run = RunIdentifier(run_name=run_id)
    failures: list[Failure] = []
    outcomes: dict[str, Any] = {}
    evaluated = 0
    for table in spec.tables:
        frame = frames.get(table)
        if frame is None:
            continue
        keys = [k for k in spec.keys_for(table) if k in frame.columns]
        asset = source.add_dataframe_asset(table or spec.name)
        batch = asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add(to_gx_suite(spec, table))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{spec.name}:{table or 'all'}", data=batch, suite=suite)
        )
        result_format = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_SIZE,
            "unexpected_index_column_names": keys,
        }
        if isinstance(frame, ChunkedTable):
            outcome = validate_chunked(batch, spec.for_table(table), frame, parameters,
                                       result_format, suite.name)
            _store(context, outcome, suite.name, gx_run)
        else:
            outcome = definition.run(
                batch_parameters={"dataframe": frame},
                expectation_parameters=dict(parameters),
                result_format=result_format,
                run_id=gx_run,
            )
        outcomes[table] = outcome
        evaluated += len(outcome.results)
        failures.extend(_failure(r, table, keys) for r in outcome.results if not r.success)
    index = None
    if docs_dir is not None:
        context.build_data_docs()
        index = docs_dir / "index.html"
    return Validation(evaluated=evaluated, failures=failures, docs_index=index,
                      outcomes=outcomes)


def _store(context, outcome, suite_name: str, gx_run) -> None:
    """Keep a combined result where ``ValidationDefinition.run`` keeps its own (for Data Docs)."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    outcome.meta["run_id"] = gx_run
    outcome.meta["validation_time"] = gx_run.run_time
    suite_id = ExpectationSuiteIdentifier(name=suite_name)
    context.validation_results_store.store_validation_results(
        suite_validation_result=outcome,
        suite_validation_result_identifier=ValidationResultIdentifier(
            batch_identifier=outcome.batch_id, expectation_suite_identifier=suite_id,
            run_id=gx_run),
        expectation_suite_identifier=suite_id,
    )
