"""Real servers for the tests: our own redis-server, fresh PostgreSQL databases, gateway processes.

Nothing of our own code is mocked.  A test that needs a server gets a real one; `scripts/test.sh`
installs and starts what is missing rather than letting a test skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import expect

# A browser's assertions wait for what they expect up to this long (Playwright's default is 5 s): a page
# that needs a password hash and a database read before it answers takes longer than that on a loaded
# machine.  Waiting longer costs nothing when the page is fast; failing is then a real failure.
expect.set_options(timeout=30_000)

# Property tests draw the same examples on every run, so a run's verdict does not depend on luck; to look
# for new counterexamples, run with HYPOTHESIS_PROFILE=explore (random draws, then add what they find).
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

REPO = Path(__file__).resolve().parent.parent
PAKN = [sys.executable, "-m", "pakn.app.cli"]
POSTGRES_ADMIN = os.environ.get("PAKN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SYSTEM_REDIS = os.environ.get("PAKN_TEST_REDIS", "redis://127.0.0.1:6379/0")

# Lines a test hands to the terminal summary (tests/normalizer/conftest.py's corpus accuracy) travel on its
# reports as user properties, so they are printed by the process that prints the summary, whether the tests
# ran in it or in pytest-xdist's workers.
SUMMARY_PROPERTIES = {"normalizer_text_report": "normalizer text corpus: accuracy per category"}
_summary_lines: dict[str, list[str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, lines in report.user_properties:
        if name in SUMMARY_PROPERTIES and isinstance(lines, list):
            _summary_lines.setdefault(name, []).extend(map(str, lines))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, heading in SUMMARY_PROPERTIES.items():
        if _summary_lines.get(name):
            terminalreporter.section(heading)
            for line in _summary_lines[name]:
                terminalreporter.write_line(line)


def _port_range() -> range:
    """Ports for this test process's servers: below Linux's ephemeral range (32768-60999), where no client
    connection takes one between our check and the server's bind, and a block of its own for each
    pytest-xdist worker, so that two workers never hand out the same port (a pytest run without workers
    takes one of the other blocks by its process id)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
    block = int(worker) % 8 if worker.isdigit() else 8 + os.getpid() % 8
    return range(16384 + 1024 * block, 16384 + 1024 * (block + 1))


_PORTS = itertools.cycle(_port_range())


def free_port() -> int:
    """A port nobody listens on now, new to this process until its block has gone round."""
    for _ in range(len(_port_range())):
        port = next(_PORTS)
        with socket.socket() as sock:  # without SO_REUSEADDR: a port still in TIME_WAIT is passed over too
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in this test process's block")


def wait_until(condition: Callable[[], Any], timeout: float, message: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {message}")
        time.sleep(interval)


def process_running(pid: int) -> bool:
    """Whether a process is alive: a zombie (ended, not yet reaped by its parent) counts as ended."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (of any of its threads), from /proc; none once it is gone."""
    try:
        tasks = list((Path("/proc") / str(pid) / "task").iterdir())
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: its children, theirs, and so on."""
    found, todo = [], [pid]
    while todo:
        found.extend(kids := children(todo.pop()))
        todo.extend(kids)
    return found


def command_line(pid: int) -> str:
    """A process's command line (or its title, for a process that set one), "" once it is gone."""
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


class RedisServer:
    """A redis-server of the test's own, so a test may restart it and lose its data."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._ping, 10, "redis-server to answer")

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def restart_empty(self) -> None:
        """Kill it hard and start it again with nothing in it: every queued job is gone."""
        self.stop(hard=True)
        self.start()

    def stop(self, hard: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            self.process.wait(10)


@pytest.fixture(scope="session")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def new_postgres_database() -> tuple[str, Callable[[], None]]:
    """A fresh database on the local PostgreSQL, and how to drop it."""
    name = f"pakn_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]

    def drop() -> None:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}", drop


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url, drop = new_postgres_database()
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each journal test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'journal.db'}"
        return
    url, drop = new_postgres_database()
    yield url
    drop()


@dataclass
class Gateway:
    """The gateway's processes (web, workers, sweeper) started as a user would, on real servers."""

    data_dir: Path
    env: dict[str, str]
    port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pakn(self, *args: str, check: bool = True, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(
            [*PAKN, *args], env=self.env, cwd=self.data_dir, capture_output=True, input=input, timeout=120
        )
        if check and result.returncode != 0:
            raise AssertionError(f"pakn {' '.join(args)} failed: {result.stderr.decode()[-3000:]}")
        return result

    def start(self, name: str, *args: str) -> None:
        log = (self.data_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [*PAKN, *args], env=self.env, cwd=self.data_dir, stdout=log, stderr=subprocess.STDOUT
        )

    def start_all(self, workers: int = 1) -> None:
        self.pakn("db", "upgrade")
        self.start("web", "web")
        for index in range(workers):
            self.start(f"worker{index}", "worker")
        self.start("sweeper", "sweeper")
        self.wait_healthy()

    def wait_healthy(self) -> None:
        """Until the web process answers: 90 s, since starting one takes seconds on a loaded machine."""
        wait_until(self._healthy, 90, "the web process to answer /healthz")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def journal(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Run SQL on the gateway's SQLite journal (committed, so a test may move the clock of a row)."""
        with sqlite3.connect(self.data_dir / "journal.db") as conn:
            rows = conn.execute(sql, params).fetchall()
            conn.commit()
        return rows

    def cases(self) -> list[tuple[str, str]]:
        """(idempotency key, tracking code) of each case in the embedded `sql` case store."""
        path = self.data_dir / "casestore.db"
        if not path.exists():
            return []
        with sqlite3.connect(path) as conn:
            try:
                return conn.execute("select idempotency_key, tracking_code from cases").fetchall()
            except sqlite3.OperationalError:  # the case store's table is not made yet
                return []

    def log(self, name: str) -> str:
        return (self.data_dir / f"{name}.log").read_text(errors="replace")


def gateway_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PAKN_", "DATABASE_", "REDIS_", "CASE_STORE_", "QUEUE_", "WEB_", "LOGIN_"))
    }
    env.update(
        PAKN_DATA_DIR=str(data_dir),
        QUEUE_NAME=f"t{uuid.uuid4().hex[:8]}",
        SWEEP_INTERVAL_SECONDS="0.3",
        STALE_AFTER_SECONDS="3",
        JOB_LEASE_SECONDS="4",
        FORWARD_BACKOFF_BASE_SECONDS="0.2",
        FORWARD_BACKOFF_MAX_SECONDS="1",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(REPO),
        # Tests poll statuses by code many times a second; the lookup limit has tests of its own.
        WEB_RATE_LIMIT_LOOKUPS="1000000",
    )
    env.update(overrides)
    return env


@pytest.fixture
def make_gateway(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    made: list[Gateway] = []

    def make(**overrides: str) -> Gateway:
        data_dir = tmp_path / f"gw{len(made)}"
        data_dir.mkdir()
        port = free_port()
        gateway = Gateway(data_dir, gateway_env(data_dir, PORT=str(port), **overrides), port)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.stop()
