"""`pakn web` on its own, without REDIS_URL: one embedded Redis for all its processes, gone when it stops."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import Gateway, process_running
from tests.samples import submission


def redis_servers_of(data_dir: Path) -> list[int]:
    """Live redis-server processes whose working files are in this data folder."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes()
            cwd = str((proc / "cwd").resolve())
        except OSError:
            continue
        if b"redis-server" in command and cwd == str(data_dir) and process_running(int(proc.name)):
            found.append(int(proc.name))
    return found


def test_a_standalone_web_shares_one_embedded_redis_and_leaves_none(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(WEB_PROCESSES="2")
    assert "REDIS_URL" not in gateway.env
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    gateway.wait_healthy()
    for index in range(6):
        answer = httpx.post(f"{gateway.url}/api/v1/submissions", json=submission(index), timeout=20)
        assert answer.status_code == 202, answer.text
    data_dir = gateway.data_dir
    assert len(redis_servers_of(data_dir)) == 1, "one Redis for both web processes"
    web = gateway.processes.pop("web")
    web.send_signal(signal.SIGTERM)
    assert web.wait(30) == 0
    assert redis_servers_of(data_dir) == [], "no embedded Redis left behind"
