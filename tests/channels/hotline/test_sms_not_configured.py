"""With default settings and no Twilio, a message owed to a hotline caller is kept as not sendable: said
once when the sweeper starts (and by `pakn settings`), tried once, never retried, counted by `pakn stats`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from tests.conftest import SYSTEM_REDIS, Gateway, wait_until

PASSWORD = "mat-khau-rat-dai-2024"
NOT_CONFIGURED = "HOTLINE_TWILIO_ACCOUNT_SID"


def test_an_sms_without_twilio_is_kept_once_not_retried(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS)
    gateway.start_all()
    warnings = gateway.pakn("settings").stderr.decode()
    assert "trên kênh hotline, sms được giữ lại là không gửi được" in warnings and NOT_CONFIGURED in warnings
    gateway.pakn("operators", "add", "lan", "--name", "Lan", "--password-stdin", input=f"{PASSWORD}\n".encode())
    token = gateway.pakn("operators", "token", "lan").stdout.decode().strip()
    call = {
        "call_id": "c-1",
        "phone": "0905 444 555",  # a mobile: the caller is owed an SMS with the tracking code
        "name": "Phạm Văn Cường",
        "content": "Cây xanh trước trường học bị gãy đổ chắn ngang đường.",
        "location": "đường Lê Thánh Tôn, phường Nha Trang, tỉnh Khánh Hòa",
        "incident_time": "7h sáng hôm qua",
        "outcome": "case",
    }
    answer = httpx.post(
        f"{gateway.url}/hotline/api/v1/calls", json=call, headers={"authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    code = answer.json()["tracking_code"]
    query = (
        "select n.attempts, n.sent_at, n.due_at, n.last_error from notifications n"
        " join submissions s on s.id = n.submission_id where s.tracking_code = ?"
    )
    rows = wait_until(
        lambda: [r for r in gateway.journal(query, code) if r[3]], 60, "the caller's message to be given up on"
    )
    # The sweeper runs every 0.3 s and retries come after 0.2-1 s in these tests: give it time to retry.
    time.sleep(3)
    ((attempts, sent_at, due_at, error),) = gateway.journal(query, code)
    assert (attempts, sent_at, due_at) == (1, None, None) and rows[0][0] == 1
    assert error.startswith("not-sendable: ") and NOT_CONFIGURED in error
    said = gateway.log("sweeper")
    assert said.count(NOT_CONFIGURED) == 1, said[-3000:]  # said once, at start; not once per message
    worker = gateway.log("worker0")
    assert NOT_CONFIGURED not in worker and "not sent" not in worker, worker[-3000:]
    stats = json.loads(gateway.pakn("stats", "--json").stdout)
    assert stats["notifications"].get("not_sendable") == 1, stats["notifications"]
