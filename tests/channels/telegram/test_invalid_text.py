"""Only valid text goes further: a Telegram update whose JSON escapes a lone surrogate ("\\ud800", which
Python's json reads into str) is answered like any other, its text repaired at the bot's edge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests.channels.telegram.citizen import Citizen, Webhook


@dataclass
class EscapingWebhook(Webhook):
    """Sends the JSON with ASCII escapes, as Telegram may: a lone surrogate goes over the wire as \\ud800."""

    def deliver(self, update: dict[str, Any]) -> httpx.Response:
        response = httpx.post(
            f"{self.url}/telegram/webhook",
            content=json.dumps(update, ensure_ascii=True).encode(),
            headers={"X-Telegram-Bot-Api-Secret-Token": self.secret, "content-type": "application/json"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response


def test_a_lone_surrogate_in_a_message_is_replaced_and_the_conversation_goes_on(citizen: Citizen) -> None:
    assert isinstance(citizen.transport, Webhook)
    citizen.transport = EscapingWebhook(citizen.transport.url)
    citizen.command("/phananh")
    answer = citizen.say("Cống thoát nước bị tắc \ud800 nghẽn, nước ngập nửa mét mỗi khi trời mưa to.")
    assert "Sự việc xảy ra ở đâu" in answer[-1]
    assert "Sự việc xảy ra lúc nào" in citizen.say("trước chợ Đầm \udcad, phường Nha Trang")[-1]
