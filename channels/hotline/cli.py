"""`pakn hotline import-cdr FILE` and `pakn operators ...` (console accounts and API tokens).

The commands look nothing up: the app's command line (``pakn.app.cli``) composes them and passes what they
work with as the click context's object, a ``CommandDeps``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from config.settings import Settings
from pakn.mistakes import Mistake, cli_text

if TYPE_CHECKING:  # annotations only: `pakn --help` loads no SQLAlchemy
    from sqlalchemy.engine import Engine


@dataclass(frozen=True, slots=True)
class CommandDeps:
    """What the hotline's commands work with, each made only when a command asks for it (``--help`` makes
    none): the settings, and the journal's engine (the hotline's tables are in the journal's database)."""

    settings: Callable[[], Settings]
    engine: Callable[[], Engine]


pass_deps = click.make_pass_decorator(CommandDeps)


@click.group()
def hotline() -> None:
    """The hotline channel: PBX call records."""


@hotline.command("import-cdr")
@click.argument("source", type=click.File("rb"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "asterisk", "generic"]),
    default="auto",
    show_default=True,
    help="asterisk: cdr_csv Master.csv; generic: CSV with a header (see channels/hotline/cdr.py).",
)
@click.option("--utc", is_flag=True, help="Times without an offset are UTC (Asterisk usegmtime=yes).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_deps
def import_cdr(deps: CommandDeps, source: Any, fmt: str, utc: bool, as_json: bool) -> None:
    """Import call-detail records; calls with no logged case become missed calls (safe to re-run)."""
    from zoneinfo import ZoneInfo

    from channels.hotline.cdr import ImportSummary, import_records, read_records

    settings = deps.settings()
    zone = ZoneInfo("UTC" if utc else settings.timezone)
    summary = ImportSummary()
    records = read_records(source.read(), fmt, zone, summary)
    window = timedelta(minutes=settings.hotline.cdr_match_minutes)
    with click.progressbar(length=len(records), label=cli_text("progress-cdr"), file=sys.stderr) as bar:
        import_records(deps.engine(), records, window, summary, progress=bar.update)
    if as_json:
        click.echo(json.dumps(summary.as_json(), ensure_ascii=False))
        return
    click.echo(
        cli_text(
            "cdr-done",
            read=summary.read,
            imported=summary.imported,
            already=summary.already_imported,
            missed=summary.missed,
            linked=summary.linked,
            called_back=summary.called_back,
        )
    )
    if summary.unreadable:
        click.echo(cli_text("cdr-unreadable", lines=", ".join(map(str, summary.unreadable))), err=True)


@click.group()
def operators() -> None:
    """Operator accounts of the hotline console (roles: operator, supervisor, admin)."""


@operators.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name shown in the console.")
@click.option("--role", type=click.Choice(["operator", "supervisor", "admin"]), default="operator", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@pass_deps
def add(deps: CommandDeps, username: str, display_name: str, role: str, password_stdin: bool) -> None:
    """Create an account (the password is asked for, or read from stdin)."""
    from sqlalchemy.exc import IntegrityError

    from channels.hotline import auth, store

    password = _password(password_stdin)
    try:
        store.add_operator(deps.engine(), username, display_name, role, auth.hash_password(password))
    except IntegrityError:
        raise Mistake("operator-exists", username=username) from None
    click.echo(cli_text("operator-added", username=username, role=role))


@operators.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@pass_deps
def password(deps: CommandDeps, username: str, password_stdin: bool) -> None:
    """Set a new password."""
    from channels.hotline import auth, store

    if not store.update_operator(deps.engine(), username, password_hash=auth.hash_password(_password(password_stdin))):
        raise Mistake("no-operator", username=username)
    click.echo(cli_text("password-changed"))


@operators.command("token")
@click.argument("username")
@pass_deps
def token(deps: CommandDeps, username: str) -> None:
    """Issue a new operator-API token (replaces the previous one; printed once)."""
    from channels.hotline import store

    issued = store.new_api_token(deps.engine(), username)
    if issued is None:
        raise Mistake("no-operator", username=username)
    click.echo(issued)


@operators.command("disable")
@click.argument("username")
@pass_deps
def disable(deps: CommandDeps, username: str) -> None:
    """Disable an account: its sessions end and its token stops working."""
    from channels.hotline import store

    if not store.update_operator(deps.engine(), username, active=False, api_token_sha256=None):
        raise Mistake("no-operator", username=username)
    click.echo(f"operator {username} disabled")


@operators.command("list")
@pass_deps
def list_operators(deps: CommandDeps) -> None:
    """The accounts, their roles and whether they are active."""
    from channels.hotline import store

    for operator in store.operators(deps.engine()):
        state = "active" if operator.active else "disabled"
        click.echo(f"{operator.username:<24} {operator.role:<10} {state:<8} {operator.display_name}")


def _password(from_stdin: bool) -> str:
    from channels.hotline import auth

    if from_stdin:
        text = sys.stdin.readline().rstrip("\n")
    else:
        text = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(text) < auth.MIN_PASSWORD_LENGTH:  # checked before anything is stored
        raise Mistake("short-password", length=auth.MIN_PASSWORD_LENGTH)
    return str(text)
