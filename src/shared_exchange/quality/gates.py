"""Quality gates between layers: run a dataset's suite, record it, stop the run if it fails.

Exceptions::

    GateFailed (RuntimeError)   a critical expectation failed; .results names every failure
    SuiteError (ValueError)     a suite file is missing or malformed (suites.py)

Where they run (the DAGs call these): ``gate_raw`` after each department's ingestion,
``gate_layer(..., "staging", ...)`` after ``dbt build --select staging`` (it also runs the
per-department completeness gate), ``gate_layer(..., "marts", ...)`` after the rest of the
build and before ``publish``. A failure raises, so Airflow never reaches ``publish`` and the
published version stays what readers see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from shared_exchange.config import Settings
from shared_exchange.quality import engine, frames, runs
from shared_exchange.quality.chunks import ChunkedTable
from shared_exchange.quality.suites import (
    SuiteError,
    SuiteSpec,
    datasets,
    ledger_parameters,
    load_suite,
    volume_parameters,
)

log = logging.getLogger(__name__)

Frames = pd.DataFrame | ChunkedTable | Mapping[str, pd.DataFrame | ChunkedTable | None]
FrameSource = Frames | Callable[[SuiteSpec], Frames]
MART_CATALOG = "mart_catalog"
COMPLETENESS = "completeness"


@dataclass
class GateResult:
    """One dataset's gate: passed or not, and every failed check with sample keys."""

    dataset: str
    suite: str
    layer: str
    run_id: str
    success: bool
    evaluated: int
    rows: dict[str, int]
    failures: list[engine.Failure] = field(default_factory=list)
    warnings: list[engine.Failure] = field(default_factory=list)
    data_docs: str | None = None
    seconds: float = 0.0

    def messages(self) -> list[str]:
        return [f.describe(self.dataset) for f in self.failures]

    def to_summary(self) -> dict[str, Any]:
        """Small PII-free summary (safe for XCom)."""
        return {"dataset": self.dataset, "passed": self.success, "checks": self.evaluated,
                "failed": len(self.failures), "warnings": len(self.warnings),
                "data_docs": self.data_docs}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for kind in ("failures", "warnings"):
            for item, failure in zip(out[kind], getattr(self, kind), strict=True):
                item["message"] = failure.describe(self.dataset)
        return out


@dataclass
class LayerResult:
    """Every gate of one layer of one build."""

    layer: str
    results: list[GateResult]

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    def __iter__(self):
        return iter(self.results)

    def to_summary(self) -> dict[str, Any]:
        return {"layer": self.layer, "passed": self.success,
                "gates": [r.to_summary() for r in self.results]}


class GateFailed(RuntimeError):
    """A gate failed: the message names suite, check, dataset and sample offending keys."""

    def __init__(self, results: list[GateResult]):
        self.results = results
        failed = [r for r in results if not r.success]
        lines = [f"quality gate failed for {', '.join(r.dataset for r in failed)}"]
        for result in failed:
            lines += [f"  suite {result.suite}: {m}" for m in result.messages()]
        super().__init__("\n".join(lines))

    @property
    def details(self) -> list[dict[str, Any]]:
        """Failures as plain data (alerts and the run summary use this)."""
        return [
            {"suite": r.suite, "dataset": r.dataset, "check": f.check,
             "expectation": f.expectation, "table": f.table, "column": f.column,
             "unexpected_count": f.unexpected_count, "observed": f.observed,
             "sample_keys": f.sample_keys[:5], "data_docs": r.data_docs}
            for r in self.results if not r.success for f in r.failures
        ]


def _normalise(spec: SuiteSpec, found: Frames) -> dict[str, pd.DataFrame | ChunkedTable | None]:
    if isinstance(found, pd.DataFrame | ChunkedTable):
        if spec.tables != [""]:
            raise SuiteError(
                f"{spec.path}: suite covers tables {spec.tables}; pass a mapping table -> frame"
            )
        return {"": found}
    return dict(found)


def _absent(
    spec: SuiteSpec, tables: Mapping[str, pd.DataFrame | ChunkedTable | None]
) -> list[engine.Failure]:
    """A model the suite gates is missing from the build: that alone fails the gate."""
    return [
        engine.Failure(check="model_present", expectation="table exists in the build",
                       table=t, column=None, severity="critical",
                       error=f"{t or spec.name} is absent: did its dbt model run?")
        for t, df in tables.items() if df is None
    ]


def run_gate(
    settings: Settings,
    dataset: str,
    frame_or_loader: FrameSource,
    *,
    run_id: str,
    parameters: Mapping[str, Any] | None = None,
    data_docs: bool = True,
) -> GateResult:
    """Validate ``dataset`` against ``expectations/<dataset>.json`` and record the result.

    Returns the result without raising; the ``gate_*`` functions raise ``GateFailed``.
    """
    started = time.perf_counter()
    spec = load_suite(dataset)
    found = frame_or_loader(spec) if callable(frame_or_loader) else frame_or_loader
    tables = _normalise(spec, found)
    try:
        return _run_gate(settings, dataset, spec, tables, run_id, parameters, data_docs, started)
    finally:
        for table in tables.values():
            if isinstance(table, ChunkedTable):
                table.close()  # a chunked raw table holds its own DuckDB connection


def _run_gate(
    settings: Settings,
    dataset: str,
    spec: SuiteSpec,
    tables: dict[str, pd.DataFrame | ChunkedTable | None],
    run_id: str,
    parameters: Mapping[str, Any] | None,
    data_docs: bool,
    started: float,
) -> GateResult:
    params = dict(parameters or {})
    if {"min_rows", "max_rows"} & spec.parameters() and "min_rows" not in params:
        params.update(volume_parameters(spec, None))
    missing = spec.parameters() - set(params)
    if missing:
        raise SuiteError(f"{spec.path}: no value for suite parameters {sorted(missing)}")
    docs = runs.docs_dir(settings, run_id, dataset) if data_docs else None
    present = {t: df for t, df in tables.items() if df is not None}
    validation = engine.validate(spec, present, params, run_id=run_id, docs_dir=docs)
    validation.failures[:0] = _absent(spec, tables)
    critical = [f for f in validation.failures if f.severity == "critical"]
    result = GateResult(
        dataset=dataset,
        suite=spec.path.name,
        layer=spec.layer,
        run_id=run_id,
        success=not critical,
        evaluated=validation.evaluated,
        rows={t or dataset: len(df) for t, df in present.items()},
        failures=critical,
        warnings=[f for f in validation.failures if f.severity != "critical"],
        data_docs=str(validation.docs_index) if validation.docs_index else None,
        seconds=round(time.perf_counter() - started, 3),
    )
    runs.record_gate(settings, run_id, result.to_dict())
    level = logging.INFO if result.success else logging.ERROR
    log.log(level, "gate %s: %s (%d checks)", dataset,
            "passed" if result.success else "FAILED", result.evaluated)
    for message in result.messages():
        log.error("  %s", message)
    return result


def _raise_if_failed(settings: Settings, results: list[GateResult]) -> None:
    """Raise ``GateFailed``, after recording the refusal as an audit event."""
    if all(r.success for r in results):
        return
    error = GateFailed(results)
    from shared_exchange.audit import record_event

    failed = [r for r in results if not r.success]
    record_event(settings, "pipeline.gate_failed", actor="pipeline", role="data_engineer",
                 decision="denied", reason="; ".join(f["check"] for f in error.details)[:500],
                 run_id=failed[0].run_id, datasets=[r.dataset for r in failed],
                 suites=[r.suite for r in failed])
    raise error


def gate_raw(
    settings: Settings, source: str, batch_ids: list[str], *, run_id: str | None = None
) -> GateResult:
    """Gate one department's newly loaded batches (volumes vs ledger, fields, codes, dates).

    ``run_id`` defaults to ``ingest_<source>_<last batch id>`` (deterministic per batch set).
    """
    dataset = f"raw_{source}"
    run_id = run_id or f"ingest_{source}_{sorted(batch_ids)[-1] if batch_ids else 'none'}"
    ledgers: list[dict[str, Any]] = []

    def loader(spec: SuiteSpec) -> Frames:
        loaded, found = frames.raw_frames(settings, spec, source, batch_ids)
        ledgers.extend(found)
        return loaded

    spec = load_suite(dataset)
    loaded = loader(spec)
    params = ledger_parameters(ledgers)
    params.update({p: 0 for p in spec.parameters() - set(params)})  # tables not delivered
    result = run_gate(settings, dataset, loaded, run_id=run_id, parameters=params)
    _raise_if_failed(settings, [result])
    return result


def _published_rows(settings: Settings, dataset: str) -> int | None:
    published = settings.published_db
    if not published.exists():
        return None
    return frames.table_rows(published.resolve(), dataset)


def gate_layer(
    settings: Settings,
    layer: Literal["staging", "marts"],
    build_db: Path,
    run_id: str,
) -> LayerResult:
    """Gate every dataset of ``layer`` in the build at ``build_db``; raise if any failed."""
    if layer not in ("staging", "marts"):
        raise ValueError(f"layer must be 'staging' or 'marts', not {layer!r}")
    results: list[GateResult] = []
    if layer == "staging":
        from shared_exchange.quality.freshness import completeness_frame

        results.append(run_gate(settings, COMPLETENESS, completeness_frame(settings),
                                run_id=run_id))
    # not read-only: dbt run in this same process may still hold the file open read-write,
    # and DuckDB refuses a second connection with another configuration; gates only select
    con = frames.open_build(build_db, read_only=False,
                            memory_limit=settings.duckdb_memory_limit)
    try:
        for dataset in datasets(layer):
            spec = load_suite(dataset)
            if dataset == MART_CATALOG:
                results.append(run_gate(settings, dataset, frames.mart_catalog_frame(con),
                                        run_id=run_id))
                continue
            prefer = "mart" if layer == "marts" else "stag"
            loaded = {t: frames.build_frame(con, spec, t, prefer) for t in spec.tables}
            params = {}
            if "min_rows" in spec.parameters():
                params = volume_parameters(spec, _published_rows(settings, dataset))
            results.append(run_gate(settings, dataset, loaded, run_id=run_id,
                                    parameters=params))
    finally:
        con.close()
    _raise_if_failed(settings, results)
    return LayerResult(layer, results)
