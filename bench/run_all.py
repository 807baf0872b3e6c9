"""The bench suite's one entry point: every area at every size, one table, one JSON file.

    cd /work/main && PYTHONPATH=src .venv/bin/python bench/run_all.py \\
        --persons 100000 --persons 1000000 --out bench/results/$(date -u +%Y%m%dT%H%M%SZ).json

Each area (``bench_<area>.py`` with a ``run`` function) runs in its own fresh interpreter so
its peak RSS is its own and a crash or a missing module costs only that row ("not
available"). Before the areas of a size, one more fresh interpreter prepares (or finds in
the cache) the synthetic data they start from (``prepared.py``); its time is recorded apart
under ``preparation`` and is in no row. Every row shows the baseline measured in the same
run, the measured value and their ratio; with two sizes or more, the growth column gives
b in cost ∝ persons^b between the smallest and largest size (1.0 linear).
``--compare OLD.json`` adds old/new columns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT / "src")]

import suite  # noqa: E402 - after the path set-up above, like any script beside its helpers

AREAS = ("crypto", "ingest", "build", "gates", "gateway")
# Working space a run needs beside its cache entries, per person and business day: a 1 M ×
# 120-day build area held ≈ 21 GB (the full build, the daily one and the rebuild side by
# side); the cache entries (≈ 10 GB at that size) come on top when not made yet.
WORK_BYTES_PER_PERSON_DAY = 21e9 / (1_000_000 * 120)
PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "apache-airflow", "great-expectations",
            "cryptography", "pyarrow", "sqlglot")


def _call(area: str, module: Any, persons: int, days: int,
          areas: list[str]) -> dict[str, Any]:
    """Each area module has its own signature; this is the one place that knows them."""
    if area == "prepare":
        return module.for_areas(areas, persons, days)
    if area == "crypto":
        return module.run(persons)
    if area == "gateway":
        return module.run(persons=persons, days=days)
    return module.run(persons, days=days)


def _child(area: str, persons: int, days: int, out: Path, areas: list[str]) -> None:
    """Run one area in this (fresh) process and write status, raw result and peak RSS."""
    import importlib
    import logging

    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    try:
        module = importlib.import_module("prepared" if area == "prepare" else f"bench_{area}")
    except ImportError as exc:  # the area's module or something it needs is not written yet
        result = {"status": "not available", "error": f"{type(exc).__name__}: {exc}"}
    else:
        try:
            result = {"status": "ok", "raw": _call(area, module, persons, days, areas)}
        except Exception as exc:  # a benchmark reports what broke; it never fails the suite
            result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                      "traceback": traceback.format_exc()[-4000:]}
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result.update(seconds=round(time.perf_counter() - started, 2),
                  peak_rss_mb=round(max(own, kids) / 1024, 1))  # ru_maxrss is KiB on Linux
    out.write_text(json.dumps(result, default=str), encoding="utf-8")


def run_area(area: str, persons: int, days: int, timeout: float,
             areas: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-area-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", area,
               "--persons", str(persons), "--days", str(days), "--child-out", str(out),
               "--areas", ",".join(areas)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), str(BENCH), os.environ.get("PYTHONPATH", "")])}
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"status": "failed", "error": f"timed out after {timeout:.0f}s"}
        if not out.exists():
            return {"status": "failed", "error": f"exit {proc.returncode}: "
                    f"{proc.stderr.strip().splitlines()[-1:] or ''}"}
        result = json.loads(out.read_text(encoding="utf-8"))
    if area == "prepare":
        return result
    if result["status"] == "ok":
        # what the area took from the cache (hit or not, seconds spent copying): in no row
        result["prepared"] = result["raw"].pop("prepared", None)
        try:
            result["metrics"] = [m.as_dict() for m in suite.metrics(area, result["raw"])]
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            result.update(status="failed", error=f"result shape not understood: {exc!r}")
    return result


def disk_shortfall(persons: int, days: int, free: int, where: Path) -> str | None:
    """Why a run of ``persons`` × ``days`` would fill the disk at ``where``, or None: said
    before any work, instead of a write failing half an hour in."""
    need = persons * days * WORK_BYTES_PER_PERSON_DAY
    if free >= need:
        return None
    return (f"{persons:,} persons × {days} days need about {need / 1e9:.0f} GB of working "
            f"space at {where} (a 1,000,000 × 120 build area held 21 GB) and "
            f"{free / 1e9:.0f} GB are free: free some space (e.g. `uv cache prune`), point "
            f"SHARED_EXCHANGE_BENCH_CACHE at a larger disk, or pass --skip-disk-check")


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in _lines("/proc/meminfo")
                if line.startswith("MemTotal")), None)
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem,
            "os": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "packages": versions, "git_commit": commit or None}


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    if unit == "/s" or abs(value) >= 1000:
        return f"{value:,.0f}{'/s' if unit == '/s' else ''}"
    return f"{value:.3g}{' ' + unit if unit in ('s', 'ms') else ''}"


def render(report: dict[str, Any], old: dict[str, Any] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    sizes = report["params"]["persons"]
    table = Table(title=f"Shared Exchange bench — persons {', '.join(f'{n:,}' for n in sizes)}"
                  f", {report['params']['days']} days", show_lines=False)
    for col in ("area", "metric", "persons", "baseline", "measured", "ratio", "growth b",
                "peak RSS MB", "seconds"):
        table.add_column(col, justify="left" if col in ("area", "metric") else "right")
    if old:
        table.add_column("measured old/new", justify="right")
    for area, n, res, m, b in suite.table_rows(report):
        if m is None:
            table.add_row(area, f"[yellow]{res['status']}[/]: {res.get('error', '')[:70]}",
                          f"{n:,}", *[""] * 6)
            continue
        row = [area, m["name"], f"{n:,}",
               f"{_fmt(m['baseline'], m['unit'])} ({m['baseline_label']})",
               f"{_fmt(m['measured'], m['unit'])} ({m['measured_label']})",
               f"{m['ratio']:.2f}", "" if b is None else f"{b:.2f}",
               f"{suite.area_peak_rss(res):,.0f}", f"{res['seconds']:,.0f}"]
        if old:
            row.append(_compare(old, n, area, m))
        table.add_row(*row)
    console = Console(width=200)
    console.print(table)
    for n, prep in report.get("preparation", {}).items():
        console.print(_prep_line(int(n), prep, report["results"].get(n, {})))
    console.print(f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
                  f"{report['machine']['memory_mb']} MB; load at start "
                  f"{report['machine']['load_average_at_start']}")


def _prep_line(n: int, prep: dict[str, Any], results: dict[str, Any]) -> str:
    """One line per size: the shared preparation, then what each area copied (in no row)."""
    if prep.get("status") != "ok":
        return f"preparation {n:,} persons: [yellow]{prep.get('status')}[/]: {prep.get('error')}"
    raw = prep["raw"]
    stages = ", ".join(f"{s['stage']} {'hit' if s['hit'] else 'made'} {s['seconds']:.1f}s"
                       for s in raw["stages"]) or "nothing needed"
    areas = ", ".join(f"{a} {r['prepared']['prepare_s']:.1f}s"
                      + ("" if r["prepared"]["hit"] else " (miss)")
                      for a, r in results.items() if (r.get("prepared") or {}).get("stages"))
    return (f"preparation {n:,} persons: {prep['seconds']:.1f}s in its own process, "
            f"cache {'hit' if raw['hit'] else 'miss'} ({stages}); in the areas, not in "
            f"their rows: {areas or '–'}")


def _compare(old: dict[str, Any], n: int, area: str, metric: dict[str, Any]) -> str:
    res = old.get("results", {}).get(str(n), {}).get(area, {})
    for m in res.get("metrics", []):
        if suite.metric_key(m["name"]) == suite.metric_key(metric["name"]) and metric["measured"]:
            return f"{m['measured'] / metric['measured']:.2f}"
    return "–"


def _growth(report: dict[str, Any]) -> dict[str, Any]:
    sizes = report["params"]["persons"]
    if len(sizes) < 2:
        return {}
    small, large = str(sizes[0]), str(sizes[-1])
    out: dict[str, Any] = {}
    for area in report["params"]["areas"]:
        a, b = report["results"][small].get(area, {}), report["results"][large].get(area, {})
        if a.get("status") == b.get("status") == "ok":
            out.update(suite.growth(a["metrics"], b["metrics"], sizes[0], sizes[-1]))
            out[f"{area}: peak RSS"] = {"measured_exponent": suite.exponent(
                suite.area_peak_rss(a), suite.area_peak_rss(b), sizes[0], sizes[-1])}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, action="append", help="repeat for each size")
    parser.add_argument("--days", type=int, default=30, help="business days of batches")
    parser.add_argument("--areas", default=",".join(AREAS), help="comma-separated subset")
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/<ts>.json)")
    parser.add_argument("--compare", type=Path, help="an earlier results JSON to compare with")
    parser.add_argument("--area-timeout", type=float, default=4 * 3600)
    parser.add_argument("--render", type=Path, help="print the table of an existing results JSON")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    parser.add_argument("--skip-disk-check", action="store_true",
                        help="run even when the disk looks too small for the largest size")
    parser.add_argument("--child", choices=(*AREAS, "prepare"), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = sorted(set(args.persons or [100_000]))
    old = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else None
    if args.render:
        report = json.loads(args.render.read_text(encoding="utf-8"))
        # the measurements are the raw results: rows come from today's readers of them
        for by_area in report["results"].values():
            for area, res in by_area.items():
                if res.get("status") == "ok" and area in suite.READERS:
                    res["metrics"] = [m.as_dict() for m in suite.metrics(area, res["raw"])]
        render(report, old)
        if args.markdown:
            sys.stdout.write(suite.markdown(report) + "\n")
        return
    areas = [a.strip() for a in args.areas.split(",") if a.strip()]
    if args.child:
        _child(args.child, sizes[0], args.days, args.child_out, areas)
        return
    unknown = set(areas) - set(AREAS)
    if unknown:
        parser.error(f"unknown areas {sorted(unknown)}; choose from {', '.join(AREAS)}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or BENCH / "results" / f"{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    import prepared  # after the path set-up; its children inherit the pinned fingerprints

    if set(areas) - {"crypto"} and not args.skip_disk_check:
        root = prepared.cache_root()
        shortfall = disk_shortfall(sizes[-1], args.days, shutil.disk_usage(root).free, root)
        if shortfall:
            parser.error(shortfall)

    report: dict[str, Any] = {
        "suite": "shared-exchange bench", "format": 1, "started_at": stamp,
        "command": " ".join(["python", "bench/run_all.py", *sys.argv[1:]]),
        "machine": machine(), "params": {"persons": sizes, "days": args.days, "areas": areas},
        "prepared_cache": {"root": str(prepared.cache_root()), "fingerprints": prepared.pin()},
        "results": {}, "growth": {}, "preparation": {},
    }
    for n in sizes:
        if set(areas) - {"crypto"}:
            sys.stderr.write(f"[bench] preparing data for {n:,} persons …\n")
            prep = run_area("prepare", n, args.days, args.area_timeout, areas)
            report["preparation"][str(n)] = prep
            hit = (prep.get("raw") or {}).get("hit")
            sys.stderr.write(f"[bench] preparation at {n:,}: {prep['status']} in "
                             f"{prep.get('seconds', 0):.0f}s, cache "
                             f"{'hit' if hit else 'miss'}\n")
        for area in areas:
            sys.stderr.write(f"[bench] {area} at {n:,} persons …\n")
            result = run_area(area, n, args.days, args.area_timeout, areas)
            prep_s = (result.get("prepared") or {}).get("prepare_s", 0)
            sys.stderr.write(f"[bench] {area} at {n:,}: {result['status']} "
                             f"in {result.get('seconds', 0):.0f}s "
                             f"(of which preparation/copying {prep_s:.0f}s)\n")
            report["results"].setdefault(str(n), {})[area] = result
            report["growth"] = _growth(report) if n == sizes[-1] else {}
            out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    report["finished_at"] = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    render(report, old)
    if args.markdown:
        sys.stdout.write(suite.markdown(report) + "\n")
    sys.stderr.write(f"[bench] results written to {out}\n")


if __name__ == "__main__":
    main()
