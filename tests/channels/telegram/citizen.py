"""A citizen in a Telegram chat, for the tests: real-shaped updates (tests/fixtures/telegram) delivered
to the bot by webhook (HTTP POST to the gateway) or by polling (queued in the Bot API stand-in), and
the bot's answers read back from what the stand-in recorded.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import wait_until
from tests.standins.telegram_api import TelegramApiStandIn

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telegram"
SECRET = "webhook-secret-3f9a"
TOKEN = "123456789:AAE-test-token"
_update_ids = itertools.count(int(1e6))
_chat_ids = itertools.count(5_000_001)


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def new_chat_id() -> int:
    return next(_chat_ids)


@dataclass
class Webhook:
    """Deliver as Telegram does in webhook mode: POST with the secret token, 200 once handled."""

    url: str
    secret: str = SECRET

    def deliver(self, update: dict[str, Any]) -> httpx.Response:
        response = httpx.post(
            f"{self.url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": self.secret},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response


@dataclass
class Polling:
    """Queue the update in the stand-in; the bot fetches it with getUpdates."""

    api: TelegramApiStandIn

    def deliver(self, update: dict[str, Any]) -> None:
        self.api.push_update(update)


@dataclass
class Citizen:
    api: TelegramApiStandIn
    transport: Webhook | Polling
    chat_id: int = field(default_factory=new_chat_id)
    last_update: dict[str, Any] = field(default_factory=dict)

    # --- what the citizen does ------------------------------------------------------------------------
    def say(self, text: str, until: str | None = None) -> list[str]:
        update = self._message("message_text")
        update["message"]["text"] = text
        return self.send(update, until)

    def command(self, text: str, until: str | None = None) -> list[str]:
        update = self._message("command")
        update["message"]["text"] = text
        update["message"]["entities"][0]["length"] = len(text.split(" ", 1)[0])
        return self.send(update, until)

    def pin(self, latitude: float, longitude: float, until: str | None = None) -> list[str]:
        update = self._message("location")
        update["message"]["location"] = {"latitude": latitude, "longitude": longitude}
        return self.send(update, until)

    def share_contact(self, phone: str, own: bool = True, until: str | None = None) -> list[str]:
        update = self._message("contact")
        update["message"]["contact"]["phone_number"] = phone
        update["message"]["contact"]["user_id"] = self.chat_id if own else self.chat_id + 1
        return self.send(update, until)

    def photo(self, data: bytes, caption: str | None = None, until: str | None = None) -> list[str]:
        update = self._message("photo")
        file_id = f"photo-{self.chat_id}-{len(self.api.files)}"
        self.api.files[file_id] = data
        update["message"]["photo"][-1].update(file_id=file_id, file_size=len(data))
        update["message"]["caption"] = caption
        return self.send(update, until)

    def document(self, data: bytes, file_name: str, until: str | None = None) -> list[str]:
        update = self._message("document")
        file_id = f"doc-{self.chat_id}-{len(self.api.files)}"
        self.api.files[file_id] = data
        update["message"]["document"].update(file_id=file_id, file_size=len(data), file_name=file_name)
        return self.send(update, until)

    def press(self, label: str, until: str | None = None) -> list[str]:
        """Press an inline button of the latest message that has it (as the citizen sees it)."""
        data = None
        for message in reversed(self.api.messages_to(self.chat_id)):
            for row in (message["reply_markup"] or {}).get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        data, message_id = button["callback_data"], message["id"]
                        break
            if data:
                break
        assert data is not None, f"no button {label!r} in the chat"
        update = fixture("callback_query")
        update["update_id"] = next(_update_ids)
        query = update["callback_query"]
        query["from"]["id"] = self.chat_id
        query["message"]["chat"]["id"] = self.chat_id
        query["message"]["message_id"] = message_id
        query["data"] = data
        return self.send(update, until)

    def send(self, update: dict[str, Any], until: str | None = None) -> list[str]:
        """Deliver an update and return what the bot answered to it."""
        self.last_update = copy.deepcopy(update)
        before = len(self.api.messages_to(self.chat_id))
        self.transport.deliver(update)
        if until is not None:
            wait_until(lambda: any(until in t for t in self.texts()[before:]), 20, f"the bot to say {until!r}")
        return self.texts()[before:]

    # --- what the citizen sees ------------------------------------------------------------------------
    def texts(self) -> list[str]:
        return [m["text"] for m in self.api.messages_to(self.chat_id)]

    def last_markup(self) -> dict[str, Any] | None:
        messages = self.api.messages_to(self.chat_id)
        return messages[-1]["reply_markup"] if messages else None

    def _message(self, name: str) -> dict[str, Any]:
        update = fixture(name)
        update["update_id"] = next(_update_ids)
        message = update["message"]
        message["message_id"] = update["update_id"] % 100_000
        message["from"]["id"] = self.chat_id
        message["chat"]["id"] = self.chat_id
        return update
