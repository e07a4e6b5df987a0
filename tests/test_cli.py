"""`pakn normalize` (the normalizer's public face), and the Procfile."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from pakn.app.cli import PROCESSES
from tests.conftest import PAKN, REPO, SYSTEM_REDIS, Gateway, gateway_env, wait_until
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


def test_normalize_says_in_vietnamese_what_it_cannot_read(tmp_path: Path) -> None:
    """A line of the wrong shape is told per field in Vietnamese, never as pydantic's "1 validation error"."""
    lines = [json.dumps({"content": 5}), "[1, 2]", "{oops"]
    result = normalize(tmp_path, "\n".join(lines).encode())
    assert result.returncode == 0, result.stderr.decode()
    errors = [json.loads(line)["error"] for line in result.stdout.splitlines()]
    assert [e["code"] for e in errors] == ["unreadable"] * 3
    assert "Nội dung" in errors[0]["message"] and errors[0]["errors"][0]["field"] == "content"
    assert "đối tượng JSON" in errors[1]["message"] and "Không đọc được" in errors[2]["message"]
    assert b"validation error" not in result.stdout and b"Input should" not in result.stdout


def test_procfile_declares_the_processes_pakn_run_starts() -> None:
    declared = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip():
            name, command = line.split(":", 1)
            declared[name.strip()] = command.split()
    assert declared == {name: ["pakn", *process.args] for name, process in PROCESSES.items()}


def test_normalize_gives_what_the_worker_recorded(make_gateway: Callable[..., Gateway]) -> None:
    """The same raw submissions through the worker and through `pakn normalize` give the same result."""
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)
    gateway.start_all()
    no_diacritics = submission(2, content="Den duong truoc nha so 3 khong sang, nguoi dan di lai nguy hiem lam.")
    elsewhere = submission(4, location="phố Hàng Bài, quận Hoàn Kiếm, Hà Nội")
    incomplete = {"content": "Tôi tên là Trần Thị Bình, tối qua lúc 21h có vụ vỡ ống nước lớn gây ngập đường."}
    bodies = [submission(0), no_diacritics, elsewhere, incomplete]
    for body in bodies:
        assert httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10).status_code == 202
    journal = gateway.data_dir / "journal.db"

    def recorded() -> list[tuple[bytes, str, str, str, str]]:
        with sqlite3.connect(journal) as conn:
            rows = conn.execute(
                "select raw, received_at, verdict, findings, normalized from submissions order by id"
            ).fetchall()
        return rows if all(row[2] for row in rows) and len(rows) == len(bodies) else []

    rows = wait_until(recorded, 30, "the worker's verdicts")
    assert [row[2] for row in rows] == ["accepted", "needs_information", "rejected", "needs_information"]
    for raw, received_at, verdict, findings, normalized in rows:
        when = datetime.fromisoformat(received_at).replace(tzinfo=UTC).isoformat()
        result = gateway.pakn("normalize", "-", "--received-at", when, input=raw)
        cli = json.loads(result.stdout)
        assert cli["verdict"] == verdict
        assert cli["findings"] == json.loads(findings)
        assert cli["case"] == json.loads(normalized)
