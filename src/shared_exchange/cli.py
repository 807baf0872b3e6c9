"""The `shared-exchange` command: one subcommand per pipeline step, plus the operators' tools."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shared_exchange import SOURCES
from shared_exchange.config import load_settings

app = typer.Typer(
    help="Shared Exchange — the 政法云 data centre's pipeline: ingest four departments' batches, "
    "build the unified warehouse, gate it, publish it, and keep it safe.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
keys_app = typer.Typer(help="Keyring: list keys, rotate and re-encrypt, crypto-shred a person.")
audit_app = typer.Typer(help="The tamper-evident audit log.")
report_app = typer.Typer(help="Reports for security officers and operators.")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
# Wide enough for the summary tables when output goes to a log file rather than a terminal.
console = Console(width=None if sys.stdout.isatty() else 160)

Home = Annotated[
    Path | None,
    typer.Option("--home", envvar="SHARED_EXCHANGE_HOME", help="Deployment home (all state)."),
]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


@app.command()
def synth(
    home: Home = None,
    persons: Annotated[int, typer.Option(help="Persons (≈ person-cases) to generate.")] = 2000,
    days: Annotated[int, typer.Option(help="Daily batches per department.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 20220301,
    fault_rate: Annotated[float, typer.Option(
        help="Fault rate: each problem kind gets max(3, rate × person-cases / 23) cases.")] = 0.02,
    start: Annotated[str, typer.Option(help="First business date.")] = "2022-03-01",
    tamper: Annotated[bool, typer.Option(help="Also deliver one tampered batch.")] = False,
    replace: Annotated[bool, typer.Option(help="Replace an existing landing zone.")] = False,
) -> None:
    """Generate synthetic daily batches for all four departments (with ground truth)."""
    from shared_exchange.synth import generate

    settings = load_settings(home)
    with console.status(f"generating {persons} persons over {days} days …"):
        summary = generate(
            settings, persons=persons, days=days, seed=seed, fault_rate=fault_rate,
            start=date.fromisoformat(start), tamper=tamper, replace_existing=replace,
        )
    table = Table("department", "batches", "records", title=f"Landing zone: {settings.landing}")
    for source, count in sorted(summary.batches.items()):
        table.add_row(source, str(count), str(sum(summary.records.get(source, {}).values())))
    console.print(table)
    injected = ", ".join(f"{k} {v}" for k, v in sorted(summary.injected.items()))
    late = len(summary.late_batch_ids)
    console.print(f"{summary.person_cases} person-cases; late batches {late}; injected: {injected}")


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help=f"One of {', '.join(SOURCES)} or 'all'.")] = "all",
    home: Home = None,
) -> None:
    """Load pending batches directly (no Airflow) — for debugging one department."""
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.orchestration.runner import prepare

    settings = load_settings(home)
    prepare(settings)
    for src in SOURCES if source == "all" else [source]:
        results = ingest_source(settings, src)
        console.print(f"{src}: {len(results)} batches")
    _print_ingest_summary(settings)


@app.command()
def run(
    home: Home = None,
    logical_date: Annotated[str | None, typer.Option("--date", help="Business date.")] = None,
) -> None:
    """Run the whole pipeline through Airflow over whatever is in the landing zone."""
    from shared_exchange.orchestration.runner import run_pipeline

    settings = load_settings(home)
    when = date.fromisoformat(logical_date) if logical_date else None
    result = run_pipeline(settings, logical_date=when, progress=lambda m: console.print(f"→ {m}"))
    table = Table("DAG", "logical date", "result", "seconds", "log", title="Airflow runs")
    for r in result.dag_runs:
        verdict = "[green]success[/]" if r.ok else "[red]failed[/]"
        table.add_row(r.dag_id, r.logical_date, verdict, f"{r.seconds:.0f}", str(r.log_path))
    console.print(table)
    _print_ingest_summary(settings)
    _print_publication(settings)
    if not result.ok:
        console.print("[red]pipeline did not publish[/]: see the logs above and `status`")
        raise typer.Exit(1)


@app.command()
def demo(
    home: Home = None,
    persons: Annotated[int, typer.Option(help="Persons to generate.")] = 2000,
    days: Annotated[int, typer.Option(help="Days of batches.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20220301,
) -> None:
    """Generate synthetic departments, then run the whole pipeline through Airflow."""
    synth(home=home, persons=persons, days=days, seed=seed, replace=True)
    run(home=home)


@app.command()
def status(
    home: Home = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Last runs, gates, published version, quarantine counts by reason, late departments."""
    from shared_exchange.quality.status import collect_status, render_status

    facts = collect_status(load_settings(home))
    if as_json:
        typer.echo(json.dumps(facts, ensure_ascii=False, indent=2, default=str))
    else:
        console.print(render_status(facts))


@app.command()
def versions(home: Home = None) -> None:
    """Warehouse versions kept, and which one is published."""
    from shared_exchange.quality.publish import versions as list_versions

    for v in list_versions(load_settings(home)):
        console.print(v)


@app.command()
def rollback(
    home: Home = None,
    to: Annotated[str | None, typer.Option(help="Version (default: the previous one).")] = None,
) -> None:
    """Publish an earlier warehouse version again, in one atomic switch."""
    import getpass

    from shared_exchange.quality.publish import rollback as do_rollback

    version = do_rollback(load_settings(home), to=to, actor=getpass.getuser())
    console.print(f"published: {version}")


@app.command()
def score(home: Home = None) -> None:
    """Synthetic data only: precision/recall of detectors, breaches and links vs ground truth,
    and the scoreboard rates against their national reference ranges."""
    from shared_exchange.warehouse.plausibility import indicator_rates
    from shared_exchange.warehouse.scoring import score_linking
    from shared_exchange.warehouse.truth_scoring import score_detectors

    settings = load_settings(home)
    detectors = score_detectors(settings, settings.published_db)
    table = Table("kind", "code", "expected", "found", "true positives", "precision", "recall",
                  title="Against the generator's ground truth")
    for kind, per in (("detector", "per_detector"), ("breach", "per_stage")):
        group = "findings" if kind == "detector" else "breaches"
        for code, s in sorted(detectors[group].get(per, {}).items()):
            table.add_row(kind, code, str(s["expected"]), str(s["predicted"]),
                          str(s["true_positives"]), f"{s['precision']:.3f}", f"{s['recall']:.3f}")
    links = score_linking(settings, settings.published_db)["departments"]
    for department, s in sorted(links.items()):
        table.add_row("link", department, str(s["true"]), str(s["predicted"]), str(s["correct"]),
                      f"{s['precision']:.3f}", f"{s['recall']:.3f}")
    console.print(table)
    rates = Table("indicator", "numerator", "denominator", "rate", "reference", "plausible",
                  title="Scoreboard rates vs national reference values (domain.md §4)")
    for r in indicator_rates(settings.published_db):
        rates.add_row(r.indicator, str(r.numerator), str(r.denominator), f"{r.rate:.3f}",
                      f"{r.low:.2f}–{r.high:.2f}", "yes" if r.plausible else "[red]no[/]")
    console.print(rates)


@app.command("airflow-env")
def airflow_env(home: Home = None) -> None:
    """Print `export` lines that point `airflow` (UI, scheduler, CLI) at this deployment."""
    import shlex

    from shared_exchange.orchestration.airflow_env import airflow_environ, ensure_airflow_db

    settings = load_settings(home)
    ensure_airflow_db(settings)
    for key, value in airflow_environ(settings).items():
        if key.startswith(("AIRFLOW", "SHARED_EXCHANGE")):
            typer.echo(f"export {key}={shlex.quote(value)}")


def _print_ingest_summary(settings) -> None:
    from shared_exchange.ingest.ledger import summary

    data = summary(settings)
    table = Table("department", "batches", "rejected", "delivered", "loaded", "quarantined",
                  "quarantined by reason", title="Ingestion (from the batch ledger)")
    for src, s in sorted(data.items()):
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(s.get("quarantine_reasons", {}).items()))
        table.add_row(src, str(s["batches"]), str(s.get("rejected", 0)), str(s["delivered"]),
                      str(s["loaded"]), str(s["quarantined"]), reasons or "—")
    console.print(table)


def _print_publication(settings) -> None:
    target = settings.published_db
    if target.exists():
        console.print(f"published warehouse: {target} → {target.resolve().name}")
    else:
        console.print("[yellow]no published warehouse yet[/]")


# Command groups defined in their own modules register themselves on the sub-apps above.
from shared_exchange import cli_security  # noqa: E402,F401
from shared_exchange.security.commands import query_command, unmask_command  # noqa: E402

app.command("query")(query_command)
app.command("unmask")(unmask_command)

if __name__ == "__main__":
    app()
