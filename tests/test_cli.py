"""`pakn normalize` (the normalizer's public face), and the Procfile."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pakn.cli import PROCESSES
from tests.conftest import PAKN, REPO, gateway_env
from tests.samples import submission


def normalize(tmp_path: Path, data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*PAKN, "normalize", *args, "-", "--received-at", "2024-09-12T16:00:00+07:00"],
        input=data,
        capture_output=True,
        env=gateway_env(tmp_path),
        timeout=60,
    )


def test_normalize_prints_a_verdict_for_one_submission(tmp_path: Path) -> None:
    result = normalize(tmp_path, json.dumps(submission(0)).encode())
    assert result.returncode == 0, result.stderr.decode()
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "accepted"
    assert verdict["reasons"] == []
    assert verdict["case"]["phone"] == "+84905000000"


def test_normalize_reads_json_lines_in_order(tmp_path: Path) -> None:
    incomplete = submission(1)
    del incomplete["name"]
    lines = [json.dumps(submission(0)), json.dumps(incomplete), "not json", json.dumps(submission(2))]
    result = normalize(tmp_path, "\n".join(lines).encode())
    assert result.returncode == 0, result.stderr.decode()
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["verdict"] for v in out] == ["accepted", "needs_information", None, "accepted"]
    assert [r["code"] for r in out[1]["reasons"]] == ["missing-name"]
    assert out[2]["error"]["code"] == "unreadable"


def test_procfile_declares_the_processes_pakn_run_starts() -> None:
    declared = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip():
            name, command = line.split(":", 1)
            declared[name.strip()] = command.split()
    assert declared == {name: ["pakn", *args] for name, args in PROCESSES.items()}
