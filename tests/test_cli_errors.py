"""A person's mistake at the `pakn` command gets a clear message and an exit code, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PAKN, REPO


def pakn(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAKN_", "DATABASE_", "REDIS_", "CASE_STORE_"))}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([*PAKN, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [("stats",), ("dead", "list"), ("dead", "list", "--json"), ("replay",),
                                     ("replay", "--failed"), ("replay", "PAKN-0000-0000")])  # fmt: skip
def test_commands_in_a_folder_without_gateway_data_say_where_they_looked(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = pakn(tmp_path, *command)
    assert result.returncode == 1, result.stderr
    assert "không có dữ liệu" in result.stderr and str(tmp_path / "var") in result.stderr
    assert "Traceback" not in result.stderr and "sqlalchemy" not in result.stderr.lower()
    assert not (tmp_path / "var").exists(), "nothing is created where nothing was"


def test_stats_reads_vietnamese_and_iso_dates_and_refuses_the_rest(tmp_path: Path) -> None:
    assert pakn(tmp_path, "db", "upgrade").returncode == 0
    iso = pakn(tmp_path, "stats", "--from", "2026-01-12", "--to", "2026-02-01", "--json")
    vietnamese = pakn(tmp_path, "stats", "--from", "12/01/2026", "--to", "1/2/2026", "--json")
    assert iso.returncode == vietnamese.returncode == 0, vietnamese.stderr
    assert json.loads(iso.stdout) == json.loads(vietnamese.stdout)
    for args, option in (
        (("--from", "2026-13-01"), "--from"),
        (("--from", "32/01/2026"), "--from"),
        (("--to", "hôm qua"), "--to"),
        (("--from", "12/01/2026", "--to", "01/01/2026"), "--to"),
    ):
        result = pakn(tmp_path, "stats", *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith(f"pakn: {option}:") and "Traceback" not in result.stderr, result.stderr
        assert "Usage:" not in result.stderr  # one Vietnamese line, not click's English frame
