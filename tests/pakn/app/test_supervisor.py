"""`pakn run`'s supervisor: a process that dies comes back while the others keep serving; only
SIGTERM/SIGINT stops everything, and then nothing is left behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pakn.app.supervisor import Backoff
from tests.conftest import (
    PAKN,
    children,
    command_line,
    descendants,
    free_port,
    gateway_env,
    process_running,
    wait_until,
)
from tests.samples import submission

# -- the restart policy ------------------------------------------------------------------------------


def test_a_child_that_ran_a_while_comes_back_after_the_base_delay() -> None:
    policy = Backoff(base=0.5, factor=2, cap=30, stable_after=10)
    assert policy.after(0, 3600.0) == (0.5, 1)
    assert policy.after(7, 10.0) == (0.5, 1), "up long enough: earlier deaths no longer count"


def test_a_child_dying_young_waits_twice_as_long_each_time_up_to_the_cap() -> None:
    policy = Backoff(base=0.5, factor=2, cap=30, stable_after=10)
    delays, deaths = [], 0
    for _ in range(10):
        delay, deaths = policy.after(deaths, 0.2)
        delays.append(delay)
    assert delays == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30]
    assert deaths == 10


@given(
    deaths=st.integers(min_value=0, max_value=10_000),
    uptime=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    base=st.floats(min_value=0.01, max_value=5),
    cap=st.floats(min_value=5, max_value=600),
)
def test_the_delay_stays_between_base_and_cap_and_never_shrinks_while_dying_young(
    deaths: int, uptime: float, base: float, cap: float
) -> None:
    policy = Backoff(base=base, cap=cap, stable_after=10)
    delay, after = policy.after(deaths, uptime)
    assert base <= delay <= cap
    if uptime >= 10:
        assert (delay, after) == (base, 1)
    else:
        assert after == deaths + 1
        assert policy.after(after, uptime)[0] >= delay


# -- a real `pakn run` ----------------------------------------------------------------------------


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> dict[str, list[int]]:
        """The supervisor's running children by kind (web, worker, sweeper, redis)."""
        found: dict[str, list[int]] = {}
        for pid in children(self.process.pid):
            line = command_line(pid)
            kind = _kind(line)
            if process_running(pid):
                found.setdefault(kind, []).append(pid)
        return found

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def submit_and_see_it_forwarded(self, index: int) -> None:
        response = httpx.post(f"{self.url}/api/v1/submissions", json=submission(index), timeout=30)
        assert response.status_code == 202, response.text
        code = response.json()["tracking_code"]

        def forwarded() -> bool:
            answer = httpx.get(f"{self.url}/api/v1/submissions/{code}", timeout=10)
            return answer.status_code == 200 and answer.json()["status"] == "forwarded"

        wait_until(forwarded, 60, f"{code} forwarded to the case store")


@pytest.fixture
def pakn_run(tmp_path: Path) -> Iterator[Run]:
    port = free_port()
    env = gateway_env(tmp_path / "var", PORT=str(port))
    log = tmp_path / "pakn-run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*PAKN, "run", "--workers", "2"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
        )
    run = Run(process, f"http://127.0.0.1:{port}", tmp_path / "var", log)
    try:
        wait_until(run.healthy, 90, "pakn run to answer /healthz")
        yield run
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.parametrize("victim", ["web", "redis"])  # worker and sweeper: the test after this one
def test_a_killed_process_comes_back_and_pakn_run_keeps_serving(pakn_run: Run, victim: str) -> None:
    run = pakn_run
    wait_until(lambda: len(run.children().get("worker", [])) == 2, 30, "both workers")
    before = run.children()
    killed = before[victim][0]
    os.kill(killed, signal.SIGKILL)
    started = time.monotonic()

    def back() -> bool:
        now = run.children().get(victim, [])
        return len(now) == len(before[victim]) and killed not in now

    wait_until(back, 10, f"a new {victim} process")
    assert run.process.poll() is None, "pakn run keeps running"
    others = {kind: pids for kind, pids in run.children().items() if kind != victim}
    assert others == {kind: pids for kind, pids in before.items() if kind != victim}, "the others were left alone"
    assert re.search(rf"\b{victim}\S* \(pid {killed}\) was killed by SIGKILL", run.output()), run.output()[-3000:]
    wait_until(run.healthy, 60, "/healthz again")
    run.submit_and_see_it_forwarded(1)
    assert time.monotonic() - started < 120
    assert run.process.poll() is None


def test_one_after_another_worker_web_and_sweeper_die_and_every_submission_still_arrives(pakn_run: Run) -> None:
    run = pakn_run
    for index, victim in enumerate(["worker", "web", "sweeper"]):
        wait_until(lambda v=victim: run.children().get(v), 30, f"a running {victim}")
        killed = run.children()[victim][0]
        os.kill(killed, signal.SIGKILL)
        wait_until(lambda v=victim, k=killed: (pids := run.children().get(v)) and k not in pids, 10, f"a new {victim}")
        wait_until(run.healthy, 60, "/healthz again")
        run.submit_and_see_it_forwarded(index)
        assert run.process.poll() is None
    run.process.send_signal(signal.SIGTERM)
    assert run.process.wait(20) == 0


def test_sigterm_stops_every_process_and_removes_the_socket_folder(pakn_run: Run) -> None:
    run = pakn_run
    run.submit_and_see_it_forwarded(3)  # the web process's journal writer is running now
    everything = descendants(run.process.pid)
    lines = [command_line(pid) for pid in everything]
    assert any("pakn.intake" in line for line in lines), lines
    assert any("redis-server" in line for line in lines), lines
    socket_dir = Path(re.search(r"embedded redis listening on unix://(\S+)/redis.sock", run.output())[1])  # type: ignore[index]
    assert socket_dir.is_dir()

    run.process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert run.process.wait(20) == 0
    assert time.monotonic() - started < 12, "stopped within the 5 s grace of each wave (processes, then Redis)"
    wait_until(lambda: not any(process_running(pid) for pid in everything), 5, "every process to be gone")
    assert not socket_dir.exists()
    assert "SIGTERM: stopping everything" in run.output()


def _kind(command_line: str) -> str:
    """What a child of `pakn run` is, from its title: `pakn web`, `rq:worker:...` (RQ sets its own),
    `pakn sweeper`, or redis-server."""
    if "redis-server" in command_line:
        return "redis"
    if command_line.startswith("rq:worker"):
        return "worker"
    return command_line.rpartition("pakn ")[2].strip()


def test_a_process_that_keeps_dying_young_is_retried_ever_later_and_comes_up_once_it_can(tmp_path: Path) -> None:
    port = free_port()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", port))
    blocker.listen()  # the web process cannot listen on PORT: it dies at once, again and again
    log = tmp_path / "pakn-run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*PAKN, "run", "--workers", "1"],
            env=gateway_env(tmp_path / "var", PORT=str(port)),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    run = Run(process, f"http://127.0.0.1:{port}", tmp_path / "var", log)
    try:
        pauses = r"web \(pid \d+\) exited with code \d+ after [\d.]+s; starting it again in ([\d.]+)s"
        wait_until(lambda: len(re.findall(pauses, run.output())) >= 3, 90, "three deaths of the web process")
        delays = [float(d) for d in re.findall(pauses, run.output())]
        assert delays[:3] == [0.5, 1.0, 2.0], run.output()[-3000:]
        assert process.poll() is None, "pakn run keeps running"
        assert run.children().get("worker") and run.children().get("sweeper"), "the others keep running"
        blocker.close()
        wait_until(run.healthy, 90, "the web process to serve once the port is free")
        run.submit_and_see_it_forwarded(5)
    finally:
        blocker.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


def test_a_killed_supervisor_leaves_no_process_behind(pakn_run: Run) -> None:
    run = pakn_run
    run.submit_and_see_it_forwarded(4)  # the journal writer runs too
    everything = descendants(run.process.pid)
    assert len(everything) >= 6, [command_line(pid) for pid in everything]
    run.process.kill()  # nobody is left to stop the children: the kernel does (PR_SET_PDEATHSIG)
    run.process.wait(10)
    wait_until(lambda: not any(process_running(pid) for pid in everything), 15, "every child to be gone")
