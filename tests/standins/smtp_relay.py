"""The outbound relay stand-in: a real aiosmtpd server that keeps every mail it is given, in memory."""

from __future__ import annotations

import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Keep:
    def __init__(self, relay: SmtpRelayStandIn) -> None:
        self.relay = relay

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content
        assert isinstance(data, bytes)
        with self.relay.lock:
            self.relay.received.append((envelope.mail_from or "", list(envelope.rcpt_tos), data))
        return "250 OK kept"


class SmtpRelayStandIn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.lock = threading.Lock()
        self.received: list[tuple[str, list[str], bytes]] = []
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=port)

    def start(self) -> SmtpRelayStandIn:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raws = [raw for _, _, raw in self.received]
        out: list[Any] = [BytesParser(policy=policy.default).parsebytes(raw) for raw in raws]
        return out
