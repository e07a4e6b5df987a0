"""The Official Account's side of Zalo: its tokens, and messages sent through the OA Open API.

Tokens: the OA access token lives about a day; the refresh token that renews it is single-use.  Both
are kept in the journal (``zalo_tokens``, one row): seeded from ZALO_REFRESH_TOKEN at the first start,
then each refresh stores the new pair in the transaction that holds the row's write lock, so two
processes never spend the same refresh token and the rotated one is never lost to a race.  The access
token is refreshed ZALO_TOKEN_REFRESH_MARGIN_SECONDS before it expires, and once more if the API says
it is no longer valid (revoked early).

Messages: ``POST {ZALO_API_BASE_URL}/v3.0/oa/message/cs`` (customer-service message: the citizen wrote
to the OA, so it may answer) with header ``access_token``.  Zalo answers HTTP 200 with ``error`` 0 when
the message is taken; anything else raises ``ZaloError`` and the caller retries (the outbox for status
messages, a backoff loop for conversation replies).  Logs never carry tokens nor what is said.

Buttons (``send_buttons``, the request to rate): the same call, a text with a template attachment of buttons,
Zalo's "tin tư vấn đính kèm nút":

    {"recipient": {"user_id": ...},
     "message": {"text": ...,
                 "attachment": {"type": "template",
                                "payload": {"buttons": [{"title": ..., "type": "oa.query.show", "payload": ...}]}}}}

No ``template_type`` here: Zalo's ``request_user_info`` and ``media`` templates carry ``elements`` (a card,
images), not a text with buttons.  A click on an ``oa.query.show`` button makes Zalo send its ``payload`` (a
string) to the OA as the user's own message, a ``user_send_text`` event (``oa.query.hide``: the same, not
shown in the chat).  Limits: title at most 100 characters, payload at most 1000.  Where this comes from
(Zalo's own pages are not reachable from here): the message bodies eSMS relays to this endpoint,
developers.esms.vn "Send Zalo message Consulting button" (esms-api/send-sms-api/send-zalo-message-consulting-
button), and the button types and limits of eTelecom's Zalo Cloud API reference (docs.etelecom.vn, zalo-cloud-
api) and of the @warriorteam/redai-zalo-sdk package (docs/BUTTON_TYPES_GUIDE.md).  Only the real OA can
prove how the Zalo app shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from channels.zalo.tables import zalo_tokens
from config.catalog import load_catalog
from config.settings import Settings
from pakn.db import utcnow, writer
from pakn.notify import NotSendable

log = logging.getLogger(__name__)

MESSAGE_PATH = "/v3.0/oa/message/cs"
TOKEN_PATH = "/v4/oa/access_token"
# Zalo's codes for an access token that is invalid or expired: refresh it and try once more.
TOKEN_ERRORS = frozenset({-216, -124, -220})
# A text message longer than this is refused by the OA API: longer replies go as several messages.
MAX_TEXT = 2000
# A button's title and an oa.query.* button's payload longer than these are refused (see above).
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000
_ROW = 1
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class ZaloError(RuntimeError):
    """The OA API did not take the call (network, HTTP status or a Zalo error code): worth retrying."""


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    version: int


def not_ready(settings: Settings) -> str | None:
    """Why the Zalo channel, when it is on (ZALO_APP_ID set), cannot answer (READINESS entry)."""
    return not_configured(settings) if settings.zalo.app_id else None


def not_configured(settings: Settings) -> str | None:
    """Why this configuration cannot send on Zalo, if it cannot."""
    missing = [
        name
        for name, value in (
            ("ZALO_APP_ID", settings.zalo.app_id),
            ("ZALO_APP_SECRET_KEY", settings.zalo.app_secret_key),
        )
        if not value
    ]
    if not missing:
        return None
    return load_catalog(settings.data_dir).messages.text(
        "settings-check", "zalo-not-configured", names=", ".join(missing)
    )


class TokenStore:
    def __init__(self, engine: Engine, settings: Settings, http: httpx.Client) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.settings = settings
        self.http = http
        self.margin = timedelta(seconds=settings.zalo.token_refresh_margin_seconds)

    def current(self) -> Token:
        """A valid access token, refreshed first if it expires within the margin."""
        row = self._row() or self._seed()
        if row.access_token and row.expires_at - self.margin > utcnow():
            return Token(row.access_token, row.version)
        return self._refresh(spent_version=None)

    def renew(self, spent: Token) -> Token:
        """A new access token after the API refused ``spent`` (unless another caller renewed it meanwhile)."""
        return self._refresh(spent_version=spent.version)

    def _row(self) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(zalo_tokens).where(zalo_tokens.c.id == _ROW)).first()

    def _seed(self) -> Any:
        """The first start: the refresh token from the settings goes into the journal, once."""
        initial = self.settings.zalo.refresh_token
        if initial is None or not initial.get_secret_value():
            raise NotSendable("ZALO_REFRESH_TOKEN is not set and the journal holds no Zalo token")
        try:
            with self._writer.begin() as conn:
                conn.execute(
                    insert(zalo_tokens).values(
                        id=_ROW, access_token="", refresh_token=initial.get_secret_value(), expires_at=_NEVER, version=0
                    )
                )
            log.info("zalo refresh token taken from the settings into the journal")
        except IntegrityError:
            pass  # another process seeded it first
        return self._row()

    def _refresh(self, spent_version: int | None) -> Token:
        with self._writer.begin() as conn:
            row = conn.execute(select(zalo_tokens).where(zalo_tokens.c.id == _ROW).with_for_update()).one()
            now = utcnow()
            fresh = row.access_token and row.expires_at - self.margin > now
            if fresh and (spent_version is None or row.version != spent_version):
                return Token(row.access_token, row.version)  # renewed by another caller meanwhile
            answer = self._call_refresh(row.refresh_token)
            version = row.version + 1
            conn.execute(
                update(zalo_tokens)
                .where(zalo_tokens.c.id == _ROW, zalo_tokens.c.version == row.version)
                .values(
                    access_token=answer["access_token"],
                    refresh_token=answer["refresh_token"],
                    expires_at=now + timedelta(seconds=int(answer["expires_in"])),
                    refreshed_at=now,
                    version=version,
                )
            )
        log.info("zalo access token refreshed (version %d, valid %ss)", version, answer["expires_in"])
        return Token(str(answer["access_token"]), version)

    def _call_refresh(self, refresh_token: str) -> dict[str, Any]:
        secret = self.settings.zalo.app_secret_key
        if secret is None or not self.settings.zalo.app_id:
            raise NotSendable(not_configured(self.settings) or "Zalo is not configured")
        try:
            response = self.http.post(
                self.settings.zalo.oauth_base_url.rstrip("/") + TOKEN_PATH,
                headers={"secret_key": secret.get_secret_value()},
                data={
                    "refresh_token": refresh_token,
                    "app_id": self.settings.zalo.app_id,
                    "grant_type": "refresh_token",
                },
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ZaloError(f"token refresh failed: {type(error).__name__}") from error
        if not isinstance(data, dict) or not all(data.get(k) for k in ("access_token", "refresh_token", "expires_in")):
            code = data.get("error") if isinstance(data, dict) else None
            raise ZaloError(f"token refresh refused (HTTP {response.status_code}, error {code})")
        return data


@dataclass(frozen=True, slots=True)
class Button:
    """An ``oa.query.show`` button: a click sends ``payload`` to the OA as the user's text."""

    title: str
    payload: str

    def as_json(self) -> dict[str, str]:
        return {"title": self.title[:MAX_BUTTON_TITLE], "type": "oa.query.show", "payload": self.payload}


class OaClient:
    """Sends customer-service messages (text, text with buttons) as the OA."""

    def __init__(self, settings: Settings, tokens: TokenStore, http: httpx.Client) -> None:
        self.url = settings.zalo.api_base_url.rstrip("/") + MESSAGE_PATH
        self.tokens = tokens
        self.http = http

    def send_text(self, user_id: str, text: str) -> list[str]:
        """Send ``text`` (in parts of at most MAX_TEXT characters); the message ids Zalo gave."""
        return [self._send_part(user_id, {"text": part}) for part in split_text(text)]

    def send_buttons(self, user_id: str, text: str, buttons: list[Button]) -> list[str]:
        """Send ``text`` with ``buttons`` under its last part; the message ids Zalo gave."""
        for button in buttons:
            if len(button.payload) > MAX_BUTTON_PAYLOAD:
                raise ValueError("a button's payload is longer than Zalo takes")
        *first, last = split_text(text)
        attachment = {"type": "template", "payload": {"buttons": [b.as_json() for b in buttons]}}
        ids = [self._send_part(user_id, {"text": part}) for part in first]
        return [*ids, self._send_part(user_id, {"text": last, "attachment": attachment})]

    def _send_part(self, user_id: str, message: dict[str, Any]) -> str:
        token = self.tokens.current()
        for attempt in (1, 2):
            try:
                response = self.http.post(
                    self.url,
                    headers={"access_token": token.access_token},
                    json={"recipient": {"user_id": user_id}, "message": message},
                )
                data = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise ZaloError(f"message not sent: {type(error).__name__}") from error
            code = data.get("error") if isinstance(data, dict) else None
            if code == 0:
                return str((data.get("data") or {}).get("message_id", ""))
            if code in TOKEN_ERRORS and attempt == 1:
                token = self.tokens.renew(token)
                continue
            raise ZaloError(f"message not sent (HTTP {response.status_code}, error {code})")
        raise ZaloError("message not sent: the renewed token was refused too")


def split_text(text: str) -> list[str]:
    """Parts of at most MAX_TEXT characters, cut at line ends where there are any."""
    parts: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text or not parts else parts
