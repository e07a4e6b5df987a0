"""A Telegram Bot API stand-in: a real HTTP server speaking the Bot API's JSON to the real library.

python-telegram-bot is pointed at it with ``base_url`` / ``base_file_url`` (TELEGRAM_API_BASE_URL,
TELEGRAM_FILE_BASE_URL).  It answers the methods the gateway uses (getMe, sendMessage, getUpdates with
long polling and offset confirmation, setWebhook/deleteWebhook, getFile and file downloads,
answerCallbackQuery, editMessageReplyMarkup), records everything the bot sent, and queues updates
for a polling bot the way Telegram does: an update is served until a later offset confirms it.
``send_latency`` (seconds, low and high) makes each sendMessage take a random time before the message
is in the chat, as the network and Telegram's servers do: messages sent at about the same time by
different processes then reach the chat in either order.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
from collections import Counter
from typing import Any

from tests.standins.server import LocalServer, QuietHandler

BOT_ID = 7000000001


class TelegramApiStandIn(LocalServer):
    def __init__(self, token: str) -> None:
        self.token = token
        self.sent: list[dict[str, Any]] = []  # every sendMessage, in order
        self.calls: Counter[str] = Counter()
        self.callback_answers: list[str] = []
        self.webhook: dict[str, Any] = {}
        self.files: dict[str, bytes] = {}
        self.unauthorized = 0
        self.send_latency: tuple[float, float] | None = None
        self._updates: list[dict[str, Any]] = []
        self._confirmed = 0
        self._next_message_id = 1000
        self._lock = threading.Condition()
        stand_in = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                self._dispatch()

            def do_POST(self) -> None:
                self._dispatch()

            def _dispatch(self) -> None:
                body = self.body()
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                if path.startswith("/file/bot"):
                    status, data, kind = stand_in._file(path.removeprefix("/file/bot"))
                else:
                    status, data, kind = stand_in._method(path.removeprefix("/bot"), self.headers, body)
                self.reply(status, data, kind)

        self.serve(Handler)

    # --- the test's side --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.base_url

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"

    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()  # wake long polls so the server can shut down
        super().stop()

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode), as Telegram does when a citizen writes."""
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if m["chat_id"] == chat_id]

    # --- the Bot API ------------------------------------------------------------------------------------
    def _method(self, rest: str, headers: Any, body: bytes) -> tuple[int, bytes, str]:
        token, _, method = rest.partition("/")
        if token != self.token:
            self.unauthorized += 1
            return _answer({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        params = _params(headers.get("Content-Type", ""), body)
        self.calls[method] += 1
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _answer({"ok": False, "error_code": 404, "description": "Not Found: method not found"}, 404)
        try:
            result = handler(params)
        except LookupError as error:
            return _answer({"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}, 400)
        return _answer({"ok": True, "result": result})

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "PAKN Khánh Hòa",
            "username": "pakn_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        if self.send_latency is not None:
            time.sleep(random.uniform(*self.send_latency))
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
            self.sent.append({"chat_id": chat_id, "text": params["text"], "reply_markup": markup, "id": message_id})
            self._lock.notify_all()
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "PAKN Khánh Hòa"},
            "text": params["text"],
        }
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._lock:
            if offset:
                # An offset confirms every update before it: they are never served again.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self._confirmed = max(self._confirmed, offset)
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            return list(self._updates[:limit])

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise LookupError("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"files/{file_id}",
        }

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(str(params["callback_query_id"]))
        return True

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": "",
        }

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    def _file(self, rest: str) -> tuple[int, bytes, str]:
        token, _, file_path = rest.partition("/")
        file_id = file_path.removeprefix("files/")
        if token != self.token or file_id not in self.files:
            return 404, b"Not Found", "text/plain"
        self.calls["file-download"] += 1
        return 200, self.files[file_id], "application/octet-stream"


def _params(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields (what python-telegram-bot sends: JSON values for non-strings) or a JSON body."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body))
    return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))


def _answer(document: dict[str, Any], status: int = 200) -> tuple[int, bytes, str]:
    return status, json.dumps(document, ensure_ascii=False).encode(), "application/json"
