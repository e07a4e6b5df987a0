"""Nobody gets in: no default secret, keys shared by every process, shared rate limits, sign-in locks,
and completions that need the receipt's token and never change who the submitter is."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
import time
import tomllib
from collections.abc import Callable

import httpx

from dispatcher.sinks import sign
from tests.channels.web.conftest import form_values
from tests.conftest import SYSTEM_REDIS, Gateway, children, command_line, wait_until
from tests.samples import submission

CLOSE = {"Connection": "close"}  # a new connection per request: each may land on another web process
PASSWORD = "mat-khau-dung-123"


def status(gateway: Gateway, code: str) -> dict[str, object]:
    return dict(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json())


def callback(gateway: Gateway, code: str, key: bytes) -> httpx.Response:
    body = json.dumps({"tracking_code": code, "status": "resolved", "update_id": "u1", "answer": "Đã xử lý xong."})
    headers = {"X-PAKN-Signature": sign(key, int(time.time()), body.encode()), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/updates", content=body, headers=headers, timeout=10)


def test_no_default_secret_and_the_generated_keys_are_private_and_kept(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)  # no CASE_STORE_SECRET, no WEB_SECRET
    gateway.start_all()
    code = httpx.post(f"{gateway.url}/api/v1/submissions", json=submission(1), timeout=10).json()["tracking_code"]
    wait_until(lambda: status(gateway, code)["status"] == "forwarded", 30, "forwarded")
    forged = callback(gateway, code, b"change-me")
    assert forged.status_code == 403, forged.text
    path = gateway.data_dir / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = tomllib.loads(path.read_text())
    assert callback(gateway, code, keys["case_store_secret"].encode()).status_code == 202
    logs = "".join(gateway.log(name) for name in ("web", "worker0", "sweeper"))
    assert logs.count("generated WEB_SECRET and CASE_STORE_SECRET") == 1, "made once, by whichever came first"

    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        page = client.get("/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        before = path.read_bytes()
        gateway.kill("web")
        gateway.start("web", "web")
        gateway.wait_healthy()
        hints = client.post("/hints", json={"content": "Đèn đường hỏng"}, headers={"x-csrf-token": csrf[1]})
        assert hints.status_code == 200, "a token signed before the restart is still good"
    assert path.read_bytes() == before

    for secret in ("", "change-me"):
        http_sink = make_gateway(
            REDIS_URL=SYSTEM_REDIS, CASE_STORE_SINK="http", CASE_STORE_URL="http://127.0.0.1:9/cases",
            CASE_STORE_SECRET=secret,
        )  # fmt: skip
        refused = http_sink.pakn("web", check=False)
        assert refused.returncode == 2 and b"CASE_STORE_SECRET" in refused.stderr
    shown = make_gateway(CASE_STORE_SECRET="change-me", TELEGRAM_SECRET_TOKEN="secret").pakn("settings")
    assert "CẢNH BÁO: CASE_STORE_SECRET là giá trị mẫu".encode() in shown.stderr
    assert "CẢNH BÁO: TELEGRAM_SECRET_TOKEN là giá trị mẫu".encode() in shown.stderr
    assert b"change-me" not in shown.stdout


def test_two_web_processes_share_keys_rate_limits_and_sign_in_locks(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS, WEB_PROCESSES="2", WEB_RATE_LIMIT_POSTS="100", WEB_RATE_LIMIT_LOOKUPS="20"
    )
    gateway.start_all()
    gateway.pakn(
        "operators", "add", "lan", "--name", "Điện thoại viên Lan", "--role", "supervisor", "--password-stdin",
        input=f"{PASSWORD}\n".encode(),
    )  # fmt: skip
    statuses: dict[str, list[int]] = {"submit": [], "hints": []}

    def writers() -> list[int]:
        """Each web process starts its journal writer on the first post it takes."""
        workers = [pid for pid in children(gateway.processes["web"].pid) if "spawn_main" in command_line(pid)]
        assert len(workers) == 2
        return [pid for worker in workers for pid in children(worker) if "pakn.intake" in command_line(pid)]

    with httpx.Client(base_url=gateway.url, headers=CLOSE, timeout=20) as client:
        # At least 30 posts, and on until both processes took some: the kernel picks the process of each new
        # connection, and a process still starting on a loaded machine takes none for a while.
        for posts in range(90):
            if posts >= 30 and len(writers()) == 2:
                break
            client.cookies.clear()
            page = client.get("/")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            key = re.search(r'name="form_key" value="([^"]+)"', page.text)
            assert csrf and key
            hints = client.post("/hints", json={"content": "Đèn đường hỏng"}, headers={"x-csrf-token": csrf[1]})
            statuses["hints"].append(hints.status_code)
            posted = client.post("/submit", data={**form_values("complete"), "csrf": csrf[1], "form_key": key[1]})
            statuses["submit"].append(posted.status_code)
    taken = len(statuses["submit"])
    assert taken >= 30 and statuses == {"submit": [303] * taken, "hints": [200] * taken}, statuses
    assert len(writers()) == 2, "both web processes took posts (each starts its journal writer on its first)"

    lookups = [httpx.get(f"{gateway.url}/api/v1/submissions/PAKN-0000-0000", headers=CLOSE) for _ in range(21)]
    assert [r.status_code for r in lookups[:20]] == [404] * 20, "20 lookups allowed across both processes"
    assert lookups[20].status_code == 429 and int(lookups[20].headers["retry-after"]) > 0
    assert "thử lại sau" in lookups[20].json()["message"]

    with httpx.Client(base_url=gateway.url, headers=CLOSE, timeout=20) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/hotline/login").text)
        assert token

        def sign_in(password: str) -> httpx.Response:
            return client.post("/hotline/login", data={"csrf": token[1], "username": "lan", "password": password})

        wrong = [sign_in(f"sai-mat-khau-{n}").status_code for n in range(10)]
        assert wrong[:5] == [401] * 5 and wrong[5:] == [429] * 5, wrong
        right = sign_in(PASSWORD)
        assert right.status_code == 429 and "tạm thời bị khóa" in right.text, "locked: the right password too"
        assert "pakn_hotline_session" not in client.cookies
        # The citizens' bucket is another one: the same address still posts.
        client.cookies.clear()
        page = client.get("/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        key = re.search(r'name="form_key" value="([^"]+)"', page.text)
        assert csrf and key
        posted = client.post("/submit", data={**form_values("complete"), "csrf": csrf[1], "form_key": key[1]})
        assert posted.status_code == 303
        # The statistics page signs in the same accounts: locked there too.
        admin = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text)
        assert admin
        stats = client.post("/admin/login", data={"csrf": admin[1], "username": "lan", "password": PASSWORD})
        assert stats.status_code == 429 and "tạm thời bị khóa" in stats.text
    log = gateway.log("web")
    assert "sign-in locked for 15 min" in log
    assert "lan" not in re.findall(r".*sign-in locked.*", log)[0] and PASSWORD not in log and "sai-mat-khau" not in log


def test_completion_needs_the_receipt_token_and_keeps_the_submitter(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, WEB_RATE_LIMIT_COMPLETIONS="5")
    gateway.start_all()
    incomplete = submission(3)
    del incomplete["location"], incomplete["incident_time"]
    receipt = httpx.post(f"{gateway.url}/api/v1/submissions", json=incomplete, timeout=10).json()
    code, token = receipt["tracking_code"], receipt["completion_token"]
    wait_until(lambda: status(gateway, code)["status"] == "needs_information", 30, "needs_information")
    url = f"{gateway.url}/api/v1/submissions/{code}/completion"
    missing = {"location": "số 4 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa", "incident_time": "sáng hôm qua"}

    no_token = httpx.post(url, json={**missing, "name": "Kẻ Giả Mạo", "phone": "+84911999888"}, timeout=10)
    assert no_token.status_code == 403 and "completion_token" in no_token.json()["message"]
    wrong = httpx.post(url, json=missing, headers={"X-Completion-Token": "A" * 24}, timeout=10)
    assert wrong.status_code == 403
    impostor = httpx.post(
        url, json={**missing, "completion_token": token, "name": "Kẻ Giả Mạo", "phone": "+84911999888"}, timeout=10
    )
    assert impostor.status_code == 409 and impostor.json()["error"] == "identity-kept", "another name: refused"
    assert "name" in impostor.json()["message"]
    assert gateway.journal("select count(*) from amendments") == [(0,)], "nothing stored before the proof"
    same_person = {**missing, "name": incomplete["name"].upper(), "phone": "+84" + incomplete["phone"][1:]}
    done = httpx.post(url, json=same_person, headers={"X-Completion-Token": token.lower()}, timeout=10)
    assert done.status_code == 202, done.text
    wait_until(lambda: status(gateway, code)["status"] == "forwarded", 30, "forwarded after completion")
    with sqlite3.connect(gateway.data_dir / "casestore.db") as conn:
        (payload,) = conn.execute("select payload from cases where tracking_code = ?", (code,)).fetchone()
    assert incomplete["name"] in payload and "Giả Mạo" not in payload and "911999888" not in payload

    more = [httpx.post(url, json=missing, headers={"X-Completion-Token": token}, timeout=10) for _ in range(2)]
    assert more[0].status_code == 409  # the fifth completion: allowed, but no longer waiting
    assert more[1].status_code == 429 and int(more[1].headers["retry-after"]) > 0
