"""An Open311 GeoReport v2 server stand-in: accepts `POST requests.json` as the spec describes and
records each request (form-encoded), answering with a service_request_id."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.standins.server import LocalServer, QuietHandler

# GeoReport v2 POST Service Request arguments (http://wiki.open311.org/GeoReport_v2/#post-service-request).
GEOREPORT_FIELDS = {
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
}


@dataclass
class Open311StandIn(LocalServer):
    api_key: str
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        store = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                raw = self.body().decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                status, body = store.receive(self.path, self.headers.get("Content-Type", ""), form)
                self.reply(status, json.dumps(body).encode())

        self.serve(Handler)

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/open311/v2"

    def receive(self, path: str, content_type: str, form: dict[str, str]) -> tuple[int, Any]:
        if not path.endswith("/requests.json") or "application/x-www-form-urlencoded" not in content_type:
            return 404, [{"code": 404, "description": "not found"}]
        if form.get("api_key") != self.api_key:
            return 403, [{"code": 403, "description": "invalid api_key"}]
        unknown = set(form) - GEOREPORT_FIELDS
        if unknown or not form.get("service_code") or not (form.get("address_string") or form.get("lat")):
            return 400, [{"code": 400, "description": f"bad request {sorted(unknown)}"}]
        self.requests.append(form)
        return 201, [{"service_request_id": str(len(self.requests)), "service_notice": "", "account_id": None}]
