"""`shared-exchange keys|audit|report` — the security officers' and key custodians' commands."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shared_exchange.cli import Home, audit_app, console, keys_app, report_app
from shared_exchange.config import load_settings

Actor = Annotated[str, typer.Option(help="Who acts (recorded in the audit log).")]


@keys_app.command("list")
def keys_list(home: Home = None) -> None:
    """Key ids, purposes, scopes, states and ages — never key material."""
    from shared_exchange.security import open_keyring

    ring = open_keyring(load_settings(home))
    table = Table("key id", "purpose", "scope", "algorithm", "state", "primary", "created")
    for r in ring.records():
        table.add_row(r.key_id, r.purpose, r.scope, r.algorithm, r.state,
                      "yes" if r.primary else "", str(r.created_at))
    console.print(table)
    console.print(f"person keys: {ring.person_key_stats()}")


@keys_app.command("rotate")
def keys_rotate(
    home: Home = None,
    actor: Actor = "",
    purpose: Annotated[str, typer.Option(
        help="all (default), field (dataset+period keys) or person (one key per person).")
    ] = "all",
) -> None:
    """New primary keys, re-encrypt every raw and quarantine file, retire the old keys.

    Files are rewritten one by one with an atomic replace, so readers never see a half file.
    The token key is never rotated here (that would re-tokenise everything).
    """
    from shared_exchange.audit import record_event
    from shared_exchange.security.rotation import ROTATABLE, rotate_and_reencrypt

    if purpose not in ROTATABLE:
        raise typer.BadParameter(f"one of {', '.join(ROTATABLE)}", param_hint="--purpose")
    actor = actor or getpass.getuser()
    settings = load_settings(home)
    with console.status(f"rotating {purpose} keys and re-encrypting …"):
        report = rotate_and_reencrypt(settings, purpose=purpose)
    record_event(settings, "key.rotated", actor=actor, role="security_officer",
                 decision="allowed", reason=f"keys rotate --purpose {purpose}",
                 **_report_fields(report))
    console.print(report)
    if report.errors:
        console.print(f"[yellow]{len(report.errors)} value(s) or file(s) were left for the "
                      "next run; their old keys stay enabled[/]")


@keys_app.command("rotate-kek")
def keys_rotate_kek(home: Home = None, actor: Actor = "") -> None:
    """New key-encryption key: re-wrap every data key, then remove the old KEK file.

    Data keys and ciphertexts do not change, so readers and ingestion keep running.
    """
    from shared_exchange.audit import record_event
    from shared_exchange.security.rotation import rotate_kek

    actor = actor or getpass.getuser()
    settings = load_settings(home)
    with console.status("re-wrapping data keys under a new KEK …"):
        report = rotate_kek(settings)
    record_event(settings, "key.rotated", actor=actor, role="security_officer",
                 decision="allowed", reason="keys rotate-kek", purpose="kek",
                 **_report_fields(report))
    console.print(report)


@keys_app.command("shred")
def keys_shred(
    id_token: Annotated[str, typer.Argument(help="The person's id token (never a clear ID).")],
    home: Home = None,
    actor: Actor = "",
    purpose: Annotated[str, typer.Option(help="Legal basis for erasure.")] = "",
) -> None:
    """Crypto-shred one person: destroy their data key; their ciphertexts become unrecoverable."""
    from shared_exchange.audit import record_event
    from shared_exchange.security import shred_person

    if not purpose:
        raise typer.BadParameter("state the legal basis with --purpose", param_hint="--purpose")
    actor = actor or getpass.getuser()
    settings = load_settings(home)
    destroyed = shred_person(settings, id_token)
    record_event(settings, "person.shredded", actor=actor, role="security_officer",
                 decision="allowed", reason=purpose, purpose=purpose, keys=destroyed)
    console.print(f"destroyed {len(destroyed)} person key(s)")


@audit_app.command("verify")
def audit_verify(
    home: Home = None,
    against_head: Annotated[Path | None, typer.Option(
        help="A head published earlier (e.g. from a report's JSON) to check truncation against.")
    ] = None,
) -> None:
    """Verify the hash chain and Merkle tree; detect edited, deleted, inserted, reordered events."""
    from shared_exchange.audit import verify

    result = verify(load_settings(home), against_head=against_head)
    if result.ok:
        console.print("[green]audit log verified[/]")
        return
    for problem in result.problems:
        console.print(f"[red]✗[/] {problem}")
    raise typer.Exit(1)


@report_app.command("security")
def report_security(
    home: Home = None,
    period: Annotated[str, typer.Option(help="daily or monthly")] = "daily",
    as_of: Annotated[str | None, typer.Option("--date", help="Report date.")] = None,
) -> None:
    """Write the officers' self-contained HTML report and its JSON twin."""
    from shared_exchange.reports.security import build_security_report

    when = date.fromisoformat(as_of) if as_of else None
    with console.status("scanning for leaks and verifying the audit log …"):
        paths = build_security_report(load_settings(home), period=period, as_of=when)
    console.print(f"HTML: {paths.html}\nJSON: {paths.json}")


def _report_fields(report: object) -> dict:
    raw = report.to_json() if hasattr(report, "to_json") else vars(report)
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return {k: v for k, v in data.items() if isinstance(v, int | float | str | list)}
