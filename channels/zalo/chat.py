"""The Zalo OA's side of the shared conversation: events from the inbox in, replies out.

``ZaloChat.process_pending`` claims the events the webhook stored, oldest first, turns each into an
``Incoming`` (an image or file downloaded and kept by SHA-256 first), lets the shared engine
(``channels.conversation.engine``) take the turn (it commits the turn and the journaled submission)
and sends its replies through the OA API, with backoff.  An event that fails before its turn is
committed is released and tried again later (ZALO_SEND_ATTEMPTS times in all); once the turn is
committed a second run does nothing, so a reply is never sent for a turn that was not kept.
Logs carry event ids and kinds, never what the citizen wrote.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta
from typing import Any

import httpx

from channels.conversation.engine import ConversationEngine, Incoming, Platform, Reply
from channels.conversation.files import keep
from channels.conversation.store import ConversationStore
from channels.readers import READERS
from channels.runtime import Runtime
from channels.zalo.events import Download, incoming_of
from channels.zalo.inbox import Inbox, Pending
from channels.zalo.oa import OaClient, TokenStore, ZaloError
from channels.zalo.payload import CONTENT_TYPE, build_payload
from channels.zalo.tables import zalo_conversations, zalo_updates
from config.settings import Settings
from pakn.db import utcnow
from pakn.notify import NotSendable
from pakn.records import Channel

log = logging.getLogger(__name__)

# Backoff of one reply to the OA API: 0.5 s, 1 s, 2 s, ... (ZALO_SEND_ATTEMPTS tries in all).
_BACKOFF_BASE = 0.5


def platform(runtime: Runtime) -> Platform:
    settings = runtime.settings
    return Platform(
        channel=Channel.ZALO,
        content_type=CONTENT_TYPE,
        build_payload=build_payload,
        store=ConversationStore(runtime.journal.engine, zalo_updates, zalo_conversations),
        sections=("zalo", "telegram"),
        max_attachment_bytes=settings.zalo.max_attachment_bytes,
        location_bounds=settings.telegram.location_bounds,
        readers=READERS,
    )


def http_client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)


def oa_client(runtime: Runtime, http: httpx.Client) -> OaClient:
    return OaClient(runtime.settings, TokenStore(runtime.journal.engine, runtime.settings, http), http)


class ZaloChat:
    def __init__(self, runtime: Runtime, http: httpx.Client) -> None:
        self.settings: Settings = runtime.settings
        self.engine = ConversationEngine(runtime, platform(runtime))
        self.inbox = Inbox(runtime.journal.engine)
        self.http = http
        self.oa = oa_client(runtime, http)

    def process_pending(self) -> int:
        """Handle the events waiting in the inbox; how many were handled."""
        done = 0
        while batch := self.inbox.claim():
            for pending in batch:
                done += self._process(pending)
        return done

    def _process(self, pending: Pending) -> int:
        event = pending.event
        try:
            incoming, download = incoming_of(event)
            if download is not None:
                incoming = self._with_attachment(incoming, download)
            outcome = self.engine.handle(incoming)
        except Exception as error:
            if pending.attempts >= self.settings.zalo.send_attempts:
                log.error("zalo event %s given up after %d tries: %s", event.event_id, pending.attempts, _name(error))
                self.inbox.handled(event.event_id)
                return 0
            log.warning("zalo event %s not handled (%s): tried again", event.event_id, _name(error))
            self.inbox.release(event.event_id, timedelta(seconds=_BACKOFF_BASE * 2**pending.attempts))
            return 0
        if not outcome.duplicate and incoming.chat_id is not None:
            for reply in outcome.replies:
                self.send(str(incoming.chat_id), reply)
        self.inbox.handled(event.event_id)
        log.info("zalo event %s handled: %s", event.event_id, incoming.kind)
        return 1

    def send(self, user_id: str, reply: Reply) -> bool:
        """One reply, retried with backoff; False: it could not be sent (logged)."""
        attempts = max(1, self.settings.zalo.send_attempts)
        for attempt in range(1, attempts + 1):
            try:
                self.oa.send_text(user_id, reply.text)
                return True
            except NotSendable as error:
                log.error("zalo reply not sendable: %s", error)
                return False
            except ZaloError as error:
                if attempt == attempts:
                    log.error("zalo reply not sent after %d tries: %s", attempts, error)
                    return False
                log.warning("zalo reply not sent (%s): try %d of %d", error, attempt, attempts)
                time.sleep(_BACKOFF_BASE * 2 ** (attempt - 1))
        return False

    def expire_idle(self) -> None:
        """Close conversations left unanswered too long, telling each citizen; forget old event ids."""
        for chat_id, reply in self.engine.expire_idle():
            self.send(str(chat_id), reply)
        self.inbox.forget(utcnow() - timedelta(days=2))

    def _with_attachment(self, incoming: Incoming, download: Download) -> Incoming:
        """The incoming message with its file downloaded and kept (or marked too large)."""
        limit = self.settings.zalo.max_attachment_bytes
        base: dict[str, Any] = {
            "update_id": incoming.update_id,
            "chat_id": incoming.chat_id,
            "user_id": incoming.user_id,
            "text": incoming.text,
        }
        if download.size is not None and download.size > limit:
            return Incoming(kind="attachment", attachment_too_large=True, **base)
        data = bytearray()
        with self.http.stream("GET", download.url) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > limit:
                    return Incoming(kind="attachment", attachment_too_large=True, **base)
        digest = hashlib.sha256(data).hexdigest()
        keep(self.settings.pakn_data_dir / "attachments", digest, bytes(data))
        attachment = {
            "kind": download.kind,
            "file_name": download.file_name,
            "mime_type": download.mime_type,
            "size": len(data),
            "sha256": digest,
        }
        return Incoming(kind="attachment", attachment=attachment, **base)


def _name(error: BaseException) -> str:
    return type(error).__name__
