"""The bench suite's vocabulary: each area's raw result → rows of (baseline, measured, ratio).

Used by ``bench/run_all.py``. An area module (``bench_<area>.py``) returns whatever dict it
likes; a reader here turns it into ``Metric`` rows so every area prints the same way and
runs can be compared. Growth between two sizes is reported as the exponent ``b`` in
``cost ∝ persons^b`` (1.0 is linear, below 1 is better than linear).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    area: str
    name: str
    unit: str  # "s", "ms" (a cost) or "/s" (a throughput over work ∝ persons)
    baseline_label: str
    measured_label: str
    baseline: float
    measured: float
    ratio: float  # what the area's README says; usually measured / baseline

    def cost(self, value: float, persons: int) -> float:
        """Seconds-like cost of one value: throughputs become work / rate."""
        return persons / value if self.unit == "/s" and value else value

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ingest(raw: dict[str, Any]) -> list[Metric]:
    seq = raw["sequential"]
    rows = sum(r["rows"] for r in seq)
    busy = sum(r["seconds"] for r in seq)
    crypto = sum(r["encrypt"] + r["tokenise"] for r in seq)
    one, four = rows / raw["sequential_wall"], rows / raw["parallel_wall"]
    bare = rows / (busy - crypto) if busy > crypto else float("nan")
    ours = rows / busy
    return [
        Metric("ingest", f"rows/s, {rows:,} rows", "/s", "1 process", f"{raw['processes']} "
               "processes", one, four, four / one),
        Metric("ingest", "rows/s without vs with field crypto", "/s", "crypto excluded",
               "as shipped", bare, ours, ours / bare),
    ]


def _crypto(raw: dict[str, Any]) -> list[Metric]:
    return [Metric("crypto", case, "/s", "bare cryptography", "our API", r["bare"], r["ours"],
                   r["ratio"]) for case, r in raw.items()]


def _build(raw: dict[str, Any]) -> list[Metric]:
    rows = [Metric("build", f"dbt build s, last day = {raw['ingested_rows_last_day']:,} rows",
                   "s", "full", "incremental", raw["full_build_s"], raw["incremental_build_s"],
                   raw["ratio_incremental_to_full"])]
    if "ratio_with_spare_copies" in raw:  # results from before the spare have no such row
        steps = raw["steps_s"]
        rows.append(Metric("build", "the same, each with its copy for the next build", "s",
                           "full + copy", "incremental + copy",
                           steps["full"]["total_s"] + steps["full"]["spare_s"],
                           steps["incremental"]["total_s"] + steps["incremental"]["spare_s"],
                           raw["ratio_with_spare_copies"]))
    if "rebuild_s" in raw:  # results from before the rebuild check have no such row
        marts = "marts equal" if raw["daily_equals_rebuild"] else "MARTS DIFFER"
        rows.append(Metric("build", f"daily vs full rebuild of the same data, {marts}", "s",
                           "full rebuild", "incremental", raw["rebuild_s"],
                           raw["incremental_build_s"], raw["ratio_incremental_to_rebuild"]))
    return rows


def _gates(raw: dict[str, Any]) -> list[Metric]:
    ungated = raw["build_without_gates_s"]
    rows = [Metric("gates", "dbt build s, without vs with GE gates", "s", "ungated",
                   "gated", ungated, ungated + raw["gates_s"], raw["ratio_gated_to_ungated"])]
    steps = raw.get("peak_rss_mb_per_step") or {}
    gates = [mb for step, mb in steps.items() if step.startswith("gate_") and mb]
    if gates and steps.get("dbt_after_staging"):  # results from before per-step peaks have none
        build = steps["dbt_after_staging"]
        rows.append(Metric("gates", "peak RSS MB, dbt build vs the largest gate", "MB",
                           "dbt build", "gate", build, max(gates), max(gates) / build))
    return rows


def area_peak_rss(result: dict[str, Any]) -> float:
    """An area's peak RSS in MB: the process's high-water mark, or the largest of its steps'
    when the area measured each step on its own (resetting the mark between steps leaves
    only the last step's in the process's)."""
    steps = (result.get("raw") or {}).get("peak_rss_mb_per_step") or {}
    return max([result["peak_rss_mb"], *(mb for mb in steps.values() if mb)])


def _gateway(raw: dict[str, Any]) -> list[Metric]:
    target = raw.get("target_overhead_ms_p95", 5.0)
    return [
        Metric("gateway", "query ms p50", "ms", "direct", "through gateway",
               raw["direct_ms_p50"], raw["gateway_total_ms_p50"], raw["total_ratio_p50"]),
        Metric("gateway", "planning overhead ms p95 vs target", "ms", "target", "overhead",
               target, raw["overhead_ms_p95"], raw["overhead_ms_p95"] / target),
    ]


READERS: dict[str, Callable[[dict[str, Any]], list[Metric]]] = {
    "crypto": _crypto, "ingest": _ingest, "build": _build, "gates": _gates,
    "gateway": _gateway,
}


def metrics(area: str, raw: dict[str, Any]) -> list[Metric]:
    return READERS[area](raw)


def exponent(cost_small: float, cost_large: float, n_small: int, n_large: int) -> float | None:
    """b in cost ∝ n^b between two sizes (None when a cost is missing or not positive)."""
    if not (cost_small and cost_large) or cost_small <= 0 or cost_large <= 0 or n_small == n_large:
        return None
    return math.log(cost_large / cost_small) / math.log(n_large / n_small)


def metric_key(name: str) -> str:
    """A metric's name without its size-dependent suffix ("rows/s, 972,932 rows" → "rows/s"),
    so the same metric matches across sizes and runs; a stable name never holds a comma."""
    return name.split(",")[0]


def table_rows(report: dict[str, Any]) -> Iterator[tuple[str, int, dict, dict | None,
                                                          float | None]]:
    """(area, persons, area result, metric — None when the area did not run — , growth b on
    the largest size) in table order: what the console and the Markdown table both print."""
    sizes = report["params"]["persons"]
    for area in report["params"]["areas"]:
        for n in sizes:
            res = report["results"].get(str(n), {}).get(area)
            if res is None:
                continue
            if res["status"] != "ok":
                yield area, n, res, None, None
                continue
            for m in res["metrics"]:
                g = report["growth"].get(f"{area}: {metric_key(m['name'])}", {})
                yield area, n, res, m, g.get("measured_exponent") if n == sizes[-1] else None


def growth(rows_small: list[dict], rows_large: list[dict], n_small: int,
           n_large: int) -> dict[str, dict[str, float | None]]:
    """Per metric name: exponents of the baseline's and the measured cost between sizes."""
    large = {metric_key(r["name"]): r for r in rows_large}
    out = {}
    for small in rows_small:
        key = metric_key(small["name"])
        big = large.get(key)
        if big is None:
            continue
        metric = Metric(**{k: small[k] for k in Metric.__dataclass_fields__})
        out[f"{small['area']}: {key}"] = {
            "baseline_exponent": exponent(metric.cost(small["baseline"], n_small),
                                          metric.cost(big["baseline"], n_large), n_small,
                                          n_large),
            "measured_exponent": exponent(metric.cost(small["measured"], n_small),
                                          metric.cost(big["measured"], n_large), n_small,
                                          n_large),
        }
    return out


def _num(value: float | None, unit: str) -> str:
    if value is None or value != value:
        return "–"
    if unit == "/s" or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table (for docs/performance.md)."""
    sizes = report["params"]["persons"]
    lines = ["| area | metric | persons | baseline | measured | ratio | growth b | peak RSS MB |"
             " area s |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for area, n, res, m, b in table_rows(report):
        if m is None:
            lines.append(f"| {area} | {res['status']} | {n:,} | | | | | | |")
            continue
        unit = "" if m["unit"] == "/s" else f" {m['unit']}"
        lines.append(
            f"| {area} | {m['name']} | {n:,} | {_num(m['baseline'], m['unit'])}{unit} "
            f"({m['baseline_label']}) | {_num(m['measured'], m['unit'])}{unit} "
            f"({m['measured_label']}) | {m['ratio']:.2f} | "
            f"{'' if b is None else f'{b:.2f}'} | {area_peak_rss(res):,.0f} | "
            f"{res['seconds']:,.0f} |")
    if report.get("growth"):
        lines += ["", f"Growth b (cost ∝ persons^b) from {sizes[0]:,} to {sizes[-1]:,} persons:",
                  "", "| what | baseline b | measured b |", "|---|---:|---:|"]
        for key, g in report["growth"].items():
            lines.append(f"| {key} | {_exp(g.get('baseline_exponent'))} | "
                         f"{_exp(g.get('measured_exponent'))} |")
    return "\n".join(lines)


def _exp(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
