"""A Zalo OA API stand-in: a real HTTP server speaking Zalo's published JSON to the gateway.

One server plays both of Zalo's hosts the gateway calls (ZALO_API_BASE_URL and ZALO_OAUTH_BASE_URL):

- ``POST /v3.0/oa/message/cs`` (header ``access_token``; body ``{"recipient": {"user_id"}, "message":
  {"text"}}``): answers ``{"error": 0, "message": "Success", "data": {"message_id", "user_id"}}`` and
  records the message, or ``{"error": -216, "message": "Access token is invalid"}`` for a token it did
  not issue or that has expired.  A message may carry buttons, Zalo's "tin tư vấn đính kèm nút" (the shape
  and its sources: ``channels.zalo.oa``): ``message.attachment`` ``{"type": "template", "payload":
  {"buttons": [{"title", "type", "payload"}]}}``, checked as Zalo checks it (a text of at most 2000
  characters, 1 to 5 buttons (the upper bound is this stand-in's assumption), titles of 1 to 100
  characters, a known type, an ``oa.query.*`` payload a string of at most 1000 characters; else
  ``{"error": -201, "message": "Parameters are invalid"}``) and recorded with its buttons;
- ``POST /v4/oa/access_token`` (form ``refresh_token``, ``app_id``, ``grant_type=refresh_token``; header
  ``secret_key``): answers ``{"access_token", "refresh_token", "expires_in"}`` (expires_in a string, as
  Zalo sends it) and spends the refresh token: a second use is refused, as Zalo refuses it;
- ``GET /files/<name>``: the images and files events point at (Zalo's CDN).

``fail_next_sends`` makes the next sends answer HTTP 500, to prove the retries.  ``click`` is what the
Zalo app does with an ``oa.query.*`` button: the event it makes (the citizen's text, the button's payload),
for the test's webhook sender to deliver.  How the app shows the buttons only the real Zalo proves.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import urllib.parse
from typing import Any

from tests.standins.server import LocalServer, QuietHandler

BUTTON_TYPES = frozenset({"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone"})


class ZaloApiStandIn(LocalServer):
    def __init__(self, app_id: str, app_secret_key: str, refresh_token: str, expires_in: int = 90000) -> None:
        self.app_id = app_id
        self.app_secret_key = app_secret_key
        self.expires_in = expires_in  # of the access tokens it issues from now on
        self.sent: list[dict[str, Any]] = []  # every message taken, in order
        self.refreshes: list[dict[str, str]] = []  # every refresh asked for (form fields)
        self.refused: list[str] = []  # why a call was refused
        self.files: dict[str, bytes] = {}
        self.fail_next_sends = 0
        self.valid_refresh = {refresh_token}
        self._access: dict[str, float] = {}  # access token -> expiry (monotonic)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        stand_in = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                data = stand_in.files.get(path.removeprefix("/files/"))
                if not path.startswith("/files/") or data is None:
                    self.reply(404, b'{"error": -404}')
                else:
                    self.reply(200, data, "application/octet-stream")

            def do_POST(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                body = self.body()
                if path == "/v3.0/oa/message/cs":
                    status, answer = stand_in._message(self.headers.get("access_token", ""), body)
                elif path == "/v4/oa/access_token":
                    status, answer = stand_in._refresh(self.headers.get("secret_key", ""), body)
                else:
                    status, answer = 404, {"error": -404, "message": "not found"}
                self.reply(status, json.dumps(answer).encode())

        self.serve(Handler)

    # --- the test's side --------------------------------------------------------------------------------
    def file_url(self, name: str, data: bytes) -> str:
        self.files[name] = data
        return f"{self.base_url}/files/{name}"

    def messages_to(self, user_id: str) -> list[str]:
        with self._lock:
            return [m["text"] for m in self.sent if m["user_id"] == user_id]

    def buttons_to(self, user_id: str) -> list[tuple[str, list[dict[str, Any]]]]:
        """(text, buttons) of every message with buttons sent to the user, in order."""
        with self._lock:
            return [(m["text"], m["buttons"]) for m in self.sent if m["user_id"] == user_id and m.get("buttons")]

    def click(self, user_id: str, title: str, nth: int = -1) -> str:
        """The text a click on the button ``title`` of the ``nth`` message with buttons sends to the OA."""
        _, buttons = self.buttons_to(user_id)[nth]
        (button,) = [b for b in buttons if b["title"] == title]
        assert button["type"] in ("oa.query.show", "oa.query.hide"), "only these send a message to the OA"
        return str(button["payload"])

    def revoke(self, access_token: str) -> None:
        """As Zalo does when the OA's authorisation changes: the token is refused from now on."""
        with self._lock:
            self._access.pop(access_token, None)

    def live_access_tokens(self) -> list[str]:
        now = time.monotonic()
        with self._lock:
            return [token for token, expiry in self._access.items() if expiry > now]

    # --- Zalo's side --------------------------------------------------------------------------------------
    def _message(self, access_token: str, body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.fail_next_sends > 0:
                self.fail_next_sends -= 1
                return 500, {"error": -500, "message": "Internal error"}
            expiry = self._access.get(access_token)
            if expiry is None or expiry <= time.monotonic():
                self.refused.append("access token")
                return 200, {"error": -216, "message": "Access token is invalid"}
            document = json.loads(body)
            user_id = str(document["recipient"]["user_id"])
            message = document["message"]
            invalid = _invalid(message)
            if invalid:
                self.refused.append(invalid)
                return 200, {"error": -201, "message": "Parameters are invalid"}
            message_id = f"msg{next(self._ids):08d}"
            sent = {"user_id": user_id, "text": message["text"], "message_id": message_id}
            if "attachment" in message:
                sent["buttons"] = message["attachment"]["payload"]["buttons"]
            self.sent.append(sent)
            return 200, {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user_id}}

    def _refresh(self, secret_key: str, body: bytes) -> tuple[int, dict[str, Any]]:
        form = dict(urllib.parse.parse_qsl(body.decode()))
        with self._lock:
            self.refreshes.append(form)
            if secret_key != self.app_secret_key or form.get("app_id") != self.app_id:
                self.refused.append("secret key")
                return 200, {"error": -14002, "error_name": "Invalid app id or secret key"}
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") not in self.valid_refresh:
                self.refused.append("refresh token")
                return 200, {"error": -14014, "error_name": "Invalid refresh token"}
            self.valid_refresh.discard(form["refresh_token"])  # single-use
            access, refresh = f"access-{secrets.token_hex(8)}", f"refresh-{secrets.token_hex(8)}"
            self.valid_refresh.add(refresh)
            self._access[access] = time.monotonic() + self.expires_in
            return 200, {"access_token": access, "refresh_token": refresh, "expires_in": str(self.expires_in)}


def _invalid(message: Any) -> str | None:
    """Why Zalo would refuse this customer-service text message (with buttons or not); None: it takes it."""
    if not isinstance(message, dict) or not isinstance(message.get("text"), str) or not message["text"]:
        return "no text"
    if len(message["text"]) > 2000:
        return "text too long"
    if set(message) - {"text", "attachment"}:
        return f"unknown keys {sorted(set(message) - {'text', 'attachment'})}"
    if "attachment" not in message:
        return None
    attachment = message["attachment"]
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        return "attachment not a template"
    payload = attachment.get("payload")
    if not isinstance(payload, dict) or set(payload) != {"buttons"}:
        return "a text with buttons has a payload of buttons only"
    buttons = payload["buttons"]
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 5:
        return "1 to 5 buttons"
    for button in buttons:
        if not isinstance(button, dict) or set(button) - {"title", "type", "payload", "image_icon"}:
            return "button keys"
        title = button.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= 100:
            return "button title"
        if button.get("type") not in BUTTON_TYPES:
            return "button type"
        if button["type"].startswith("oa.query."):
            if not isinstance(button.get("payload"), str) or not 1 <= len(button["payload"]) <= 1000:
                return "query button payload"
        elif not isinstance(button.get("payload"), dict):
            return "button payload"
    return None
