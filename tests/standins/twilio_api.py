"""A stand-in for the part of Twilio's REST API the `twilio` client uses to send SMS.

A real HTTP server: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth
(account SID + auth token) and a form body (To, From, Body, ...), answered with the JSON Twilio
returns (201, a message resource with an ``SM...`` sid).  It records every message it accepted.
``fail_first`` answers that many requests with Twilio's 500 error document, to prove retries.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from tests.standins.server import LocalServer, QuietHandler

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Messages\.json$")


@dataclass
class SentSms:
    sid: str
    to: str
    from_: str
    body: str


@dataclass
class TwilioApiStandIn(LocalServer):
    account_sid: str
    auth_token: str
    fail_first: int = 0
    sent: list[SentSms] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.unauthorized = 0
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                status, document = stand_in.handle(self.path, self.headers.get("Authorization", ""), self.body())
                self.reply(status, json.dumps(document).encode())

        self.serve(Handler)

    @property
    def url(self) -> str:
        return self.base_url

    def handle(self, path: str, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        match = _MESSAGES.match(path.split("?", 1)[0])
        if match is None:
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if authorization != expected or match["account"] != self.account_sid:
            with self.lock:
                self.unauthorized += 1
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        with self.lock:
            self.requests += 1
            if self.requests <= self.fail_first:
                return 500, {"code": 20500, "message": "Internal Server Error", "status": 500}
            if not form.get("To") or not form.get("Body") or not form.get("From"):
                return 400, {"code": 21604, "message": "A 'To', 'From' and 'Body' are required", "status": 400}
            sid = "SM" + uuid.uuid4().hex
            self.sent.append(SentSms(sid, form["To"], form["From"], form["Body"]))
        now = format_datetime(datetime.now(UTC))
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form["From"],
            "body": form["Body"],
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
