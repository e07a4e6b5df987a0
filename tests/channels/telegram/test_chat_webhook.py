"""The generic signed chat webhook (POST /api/v1/chat/{platform}) through the real web process."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from tests.channels.telegram.conftest import CHAT_SECRETS
from tests.conftest import Gateway, wait_until


def signed(secret: str, body: bytes) -> dict[str, str]:
    """What a relay in front of Zalo computes, written from the docs: HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-PAKN-Signature": f"sha256={digest}", "Content-Type": "application/json"}


def test_a_signed_chat_message_becomes_one_submission(webhook_gateway: Gateway) -> None:
    body = json.dumps(
        {
            "message_id": "zalo-msg-8812",
            "sender_id": "zalo-user-77",
            "text": "Ổ gà lớn trên đường 23 Tháng 10, phường Nha Trang, tỉnh Khánh Hòa gây tai nạn lúc 7h sáng "
            "ngày 10/9/2024. Tôi là Phạm Thị Hoa, điện thoại 0912345678.",
        },
        ensure_ascii=False,
    ).encode()
    url = f"{webhook_gateway.url}/api/v1/chat/zalo"
    with httpx.Client(timeout=10) as client:
        first = client.post(url, content=body, headers=signed(CHAT_SECRETS["zalo"], body))
        assert first.status_code == 202, first.text
        code = first.json()["tracking_code"]
        again = client.post(url, content=body, headers=signed(CHAT_SECRETS["zalo"], body))
        assert again.status_code == 202 and again.json() | {"duplicate": False} == first.json()
        assert again.json()["duplicate"] is True, "the platform's message id makes a retry a repeat"

        def status() -> dict[str, str]:
            return dict(client.get(f"{webhook_gateway.url}/api/v1/submissions/{code}").json())

        done = wait_until(lambda: (s := status())["status"] in ("accepted", "forwarded") and s, 30, "accepted")
        assert done["channel"] == "chat"


def test_a_chat_message_with_a_bad_signature_is_refused_and_not_stored(webhook_gateway: Gateway) -> None:
    body = '{"message_id": "m-1", "sender_id": "u-1", "text": "Rác thải ùn ứ ở đầu hẻm 5 đã một tuần nay."}'.encode()
    url = f"{webhook_gateway.url}/api/v1/chat/zalo"
    with httpx.Client(timeout=10) as client:
        for headers in (
            {},
            signed("not-the-secret", body),
            signed(CHAT_SECRETS["zalo"], body + b" "),  # signed something else
        ):
            response = client.post(url, content=body, headers=headers)
            assert response.status_code == 401, response.text
            assert response.json()["error"] == "bad-signature"
        unknown = client.post(f"{webhook_gateway.url}/api/v1/chat/viber", content=body, headers=signed("x", body))
        assert unknown.status_code == 404
        bad = b'{"message_id": "m-2", "text": 42}'
        assert client.post(url, content=bad, headers=signed(CHAT_SECRETS["zalo"], bad)).status_code == 422
        docs = client.get(f"{webhook_gateway.url}/openapi.json").json()
        assert "/api/v1/chat/{platform}" in docs["paths"]
    stats = json.loads(webhook_gateway.pakn("stats", "--json").stdout)
    assert stats["by_channel"].get("chat", 0) <= 1, "only the signed message of the other test"
