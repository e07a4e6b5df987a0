"""A citizen writing to the Official Account on Zalo, for the tests: real-shaped events
(tests/fixtures/zalo, Zalo's published formats) signed as Zalo signs them and POSTed to the gateway's
/zalo/webhook with a real HTTP client; the OA's answers read back from what the stand-in recorded.

The webhook answers 200 once an event is stored; the answers follow.  ``send`` waits until the
gateway has handled the event (its ``zalo_events`` row is marked handled, after the replies went out).
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from channels.zalo.events import signature
from tests.conftest import Gateway, wait_until
from tests.standins.zalo_api import ZaloApiStandIn

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zalo"
APP_ID = "360846524940903967"
OA_SECRET_KEY = "oa-secret-Kx8vQ2mZ7pLw"
APP_SECRET_KEY = "app-secret-Hn4rT9bYc2"
REFRESH_TOKEN = "refresh-initial-7d2f9c"
_msg_ids = itertools.count(1)
_user_ids = itertools.count(2468458835291979001)


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def now_ms() -> int:
    return int(time.time() * 1000)


def post(gateway: Gateway, raw: bytes, mac: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if mac is not None:
        headers["X-ZEvent-Signature"] = mac
    return httpx.post(f"{gateway.url}/zalo/webhook", content=raw, headers=headers, timeout=30)


def signed(event: dict[str, Any], secret: str = OA_SECRET_KEY, app_id: str = APP_ID) -> tuple[bytes, str]:
    raw = json.dumps(event, ensure_ascii=False).encode()
    return raw, signature(app_id, raw, str(event["timestamp"]), secret)


@dataclass
class ZaloCitizen:
    api: ZaloApiStandIn
    gateway: Gateway
    user_id: str = field(default_factory=lambda: str(next(_user_ids)))

    # --- what the citizen does ------------------------------------------------------------------------
    def event(self, name: str) -> dict[str, Any]:
        event = fixture(name)
        event["timestamp"] = str(now_ms())
        if "follower" in event:
            event["follower"]["id"] = self.user_id
        else:
            event["sender"]["id"] = self.user_id
            event["message"]["msg_id"] = f"{self.user_id[-6:]}m{next(_msg_ids):06d}"
        return event

    def say(self, text: str) -> list[str]:
        event = self.event("user_send_text")
        event["message"]["text"] = text
        return self.send(event)

    def click(self, title: str, nth: int = -1) -> list[str]:
        """Click the button ``title`` of the OA's ``nth`` message with buttons: Zalo sends its payload as our text."""
        return self.say(self.api.click(self.user_id, title, nth))

    def pin(self, latitude: float, longitude: float) -> list[str]:
        event = self.event("user_send_location")
        event["message"]["attachments"][0]["payload"]["coordinates"] = {
            "latitude": str(latitude),
            "longitude": str(longitude),
        }
        return self.send(event)

    def image(self, data: bytes, caption: str = "") -> list[str]:
        event = self.event("user_send_image")
        url = self.api.file_url(f"{event['message']['msg_id']}.jpg", data)
        event["message"]["attachments"][0]["payload"].update(url=url, thumbnail=url)
        event["message"]["text"] = caption
        return self.send(event)

    def file(self, data: bytes, name: str) -> list[str]:
        event = self.event("user_send_file")
        payload = event["message"]["attachments"][0]["payload"]
        payload.update(url=self.api.file_url(f"{event['message']['msg_id']}-{name}", data), name=name)
        payload["size"] = str(len(data))
        return self.send(event)

    def follow(self) -> list[str]:
        return self.send(self.event("follow"))

    def send(self, event: dict[str, Any]) -> list[str]:
        """Deliver a signed event and return what the OA answered to it."""
        before = len(self.api.messages_to(self.user_id))
        response = post(self.gateway, *signed(event))
        assert response.status_code == 200, response.text
        self.wait_handled(event_id(event))
        return self.api.messages_to(self.user_id)[before:]

    def wait_handled(self, key: str) -> None:
        def handled() -> bool:
            rows = self.gateway.journal("select handled_at from zalo_events where event_id = ?", key)
            return bool(rows and rows[0][0])

        wait_until(handled, 30, f"the gateway to handle event {key}")

    def texts(self) -> list[str]:
        return self.api.messages_to(self.user_id)

    def copy(self, event: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(event)


def event_id(event: dict[str, Any]) -> str:
    message = event.get("message") or {}
    if message.get("msg_id"):
        return str(message["msg_id"])
    user = (event.get("sender") or event.get("follower"))["id"]
    return f"{event['event_name']}:{user}:{event['timestamp']}"
