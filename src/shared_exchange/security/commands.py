"""CLI commands `shared-exchange query` and `shared-exchange unmask` (wired in cli.py).

Wire with ``app.command("query")(query_command)`` and ``app.command("unmask")(unmask_command)``.
Refusals exit with status 2 and print the reason; results print as a table (query) or
JSON lines (unmask, one row per line) on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shared_exchange.config import load_settings

__all__ = ["query_command", "unmask_command"]

_err = Console(stderr=True)
Home = Annotated[Path | None, typer.Option("--home", envvar="SHARED_EXCHANGE_HOME",
                                           help="Deployment home (all state).")]


def query_command(
    sql: Annotated[str, typer.Argument(help="One read query over the published marts.")],
    role: Annotated[str, typer.Option(help="analyst | case_officer | data_engineer | "
                                           "security_officer")],
    purpose: Annotated[str, typer.Option(help="Why you are asking (recorded in the audit "
                                              "log).")],
    actor: Annotated[str, typer.Option(envvar="USER", help="Who is asking.")] = "unknown",
    region: Annotated[str | None, typer.Option(help="Case officers: city (4 digits) or "
                                                     "county (6 digits) code.")] = None,
    sealed_access: Annotated[bool, typer.Option(help="Use the sealed_access privilege "
                                                     "(needs a legal purpose).")] = False,
    max_rows: Annotated[int, typer.Option(help="Rows returned at most.")] = 1000,
    timeout: Annotated[float, typer.Option(help="Seconds before the query is stopped.")] = 10,
    home: Home = None,
) -> None:
    """Run one read query through the gateway: masked by role, row-filtered, audited."""
    from shared_exchange.security.gateway import Gateway, QueryRefused

    gateway = Gateway(load_settings(home))
    try:
        result = gateway.query(sql, actor=actor, role=role, purpose=purpose, region=region,
                               privileges=("sealed_access",) if sealed_access else (),
                               max_rows=max_rows, timeout_s=timeout)
    except QueryRefused as refused:
        _err.print(f"[red]refused[/red] ({refused.rule}): {refused.reason}")
        raise typer.Exit(2) from None
    finally:
        gateway.close()
    table = Table(*result.columns, title=f"{result.decision}; {len(result.rows)} row(s)"
                  + (" (truncated)" if result.truncated else ""))
    for row in result.rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


def unmask_command(
    dataset: Annotated[str, typer.Argument(help="Raw dataset, e.g. police.suspects.")],
    row_keys: Annotated[list[str], typer.Option("--row", help="A _row_id (repeat).")],
    columns: Annotated[list[str], typer.Option("--column", help="A PII column (repeat).")],
    role: Annotated[str, typer.Option(help="Your role (needs the unmask privilege).")],
    purpose: Annotated[str, typer.Option(help="Why (a legal purpose code for sealed rows).")],
    approver: Annotated[str, typer.Option(help="Who approved this unmask (not you).")],
    actor: Annotated[str, typer.Option(envvar="USER", help="Who is asking.")] = "unknown",
    home: Home = None,
) -> None:
    """Clear values of the named rows and columns, each value audited."""
    from shared_exchange.security.unmask import UnmaskRefused, unmask

    try:
        rows = unmask(load_settings(home), actor=actor, role=role, purpose=purpose,
                      approver=approver, dataset=dataset, row_keys=row_keys, columns=columns)
    except (UnmaskRefused, ValueError) as refused:
        _err.print(f"[red]refused[/red]: {refused}")
        raise typer.Exit(2) from None
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False))
