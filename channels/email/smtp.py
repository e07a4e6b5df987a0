"""`pakn smtp`: the SMTP listener for the province's shared address (aiosmtpd ≥ 1.4.6).

- RCPT for anything but the configured addresses/domains: 550 (never a relay).
- Past EMAIL_MAX_MESSAGE_BYTES: 552 (aiosmtpd's data size limit, also for a declared SIZE).
- ``250`` only after the raw message is committed to the journal (group commit: many sessions share
  one transaction); a journal failure answers ``451`` so the sending server retries later.  Nothing
  else happens before the ``250``: the headers get a cheap first look (source identity, may it be a
  reply?), and parsing the parts and storing attachments is the worker's job, from the journaled raw.
- STARTTLS offered when EMAIL_TLS_CERT/KEY are set.
The journaled bytes are the message as received, with a ``Return-Path:`` line in front (what a
delivering MTA adds), so the null sender of a bounce is still known when the answer is decided.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import re
import signal
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email.intake import MailIntake
from channels.email.parse import CONTENT_TYPE, OUR_MSGID_RE, message_ids, parse_mail, source_id
from channels.intake import Intake, Refusal
from channels.runtime import Runtime
from config.settings import Settings
from pakn.intake import IntakeWriter
from pakn.process import freeze_startup_heap
from pakn.records import Channel

log = logging.getLogger(__name__)


def accepts(settings: Settings, address: str) -> bool:
    """Whether RCPT TO may name this address: one of ours, or in one of our @domains."""
    address = address.strip().strip("<>").lower()
    if "@" not in address:
        return False
    domain = "@" + address.rpartition("@")[2]
    own = settings.email.addresses
    return address in own or domain in own


@dataclass(frozen=True, slots=True)
class _Look:
    """A cheap first look at the headers (compat32, headers only): all the hot path needs."""

    source: str
    may_be_reply: bool


def _header_block(original: bytes) -> bytes:
    """The header section only: the parser would otherwise still walk every line of the body."""
    ends = [end for end in (original.find(b"\r\n\r\n"), original.find(b"\n\n")) if end >= 0]
    return original[: min(ends) + 2] if ends else original


def _look(original: bytes) -> _Look:
    message = BytesParser(policy=compat32).parsebytes(_header_block(original), headersonly=True)
    thread = " ".join(str(message.get(name, "")) for name in ("in-reply-to", "references"))
    may_be_reply = any(OUR_MSGID_RE.match(i) for i in message_ids(thread)) or "PAKN" in _subject(message).upper()
    # A tracking code in the text: a status request, or a completion quoting its code (channels.followup).
    may_be_reply = may_be_reply or _mentions_code(original)
    ids = message_ids(str(message.get("message-id", "")))
    source = f"mid:{ids[0]}" if ids and len(ids[0]) < 230 else source_id(original)
    return _Look(source, may_be_reply)


def _mentions_code(original: bytes) -> bool:
    """Whether the mail writes a tracking code in its headers, its text, or a base64 part short enough to
    be text (decoded leniently: most Vietnamese mail is base64).  A photo's base64 is skipped: a regular
    expression over 200 KB costs milliseconds of the listener's time, and its letters spell a code now
    and then (``pAknxjH2FM11``), which sent the mail down the slow path of a reply.  Everything here is
    ``bytes.find`` (C); the expression only confirms each ``pakn`` found."""
    lowered = original.lower()
    position = 0
    for start, end in _base64_bodies(lowered):
        if _code_between(original, lowered, position, start):
            return True
        if end - start <= _SHORT_PART and _code_in_base64(original[start:end]):
            return True
        position = end
    return _code_between(original, lowered, position, len(original))


def _base64_bodies(lowered: bytes) -> Iterator[tuple[int, int]]:
    """Where each base64 body lies (after its part's headers, up to the next boundary line)."""
    at = lowered.find(b"content-transfer-encoding:")
    while at >= 0:
        line_end = lowered.find(b"\n", at)
        if line_end < 0:
            return
        if b"base64" not in lowered[at:line_end]:
            at = lowered.find(b"content-transfer-encoding:", line_end)
            continue
        blanks = [i for i in (lowered.find(b"\n\r\n", line_end), lowered.find(b"\n\n", line_end)) if i >= 0]
        if not blanks:
            return
        start = min(blanks) + (3 if lowered.startswith(b"\n\r\n", min(blanks)) else 2)
        boundary = lowered.find(b"\n--", start)  # '-' is not a base64 letter: the part's end
        end = len(lowered) if boundary < 0 else boundary + 1
        yield start, end
        at = lowered.find(b"content-transfer-encoding:", end)


def _code_between(original: bytes, lowered: bytes, start: int, end: int) -> bool:
    at = lowered.find(b"pakn", start, end)
    while at >= 0:
        if _MENTIONS_CODE.match(original, at, end):
            return True
        at = lowered.find(b"pakn", at + 4, end)
    return False


def _code_in_base64(body: bytes) -> bool:
    """Whether a base64 body writes a tracking code (non-base64 bytes such as line ends are skipped)."""
    try:
        return _MENTIONS_CODE.search(binascii.a2b_base64(body)) is not None
    except binascii.Error:
        return False


def _subject(message: Message) -> str:
    """The subject as written: RFC 2047 encoded words ("=?utf-8?b?...?=") decoded, whatever their charset."""
    subject = str(message.get("subject", ""))
    if "=?" not in subject:
        return subject
    try:
        return str(make_header(decode_header(subject)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return subject


# A code as people write it (pakn.tracking.WRITTEN), in the raw bytes: not the word alone, which the
# shared address (pakn@...) carries in every mail.
_MENTIONS_CODE = re.compile(rb"PAKN[-\s]?[0-9A-Za-z]{4}[-\s]?[0-9A-Za-z]{4}", re.IGNORECASE)
_SHORT_PART = 16_384  # a base64 body up to this size may be a text: it is decoded and looked at
_TRY_LATER = "451 4.3.0 Temporary failure storing the message, try again later"


class Handler:
    def __init__(self, runtime: Runtime, intake: Intake) -> None:
        """``intake``: the one intake path (a new mail); a reply that completes a submission goes through
        ``MailIntake`` (the journal's amendment, in this process)."""
        self.runtime = runtime
        self.settings = runtime.settings
        self.completions = MailIntake(runtime)
        self.intake = intake

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not accepts(self.settings, address):
            return "550 5.7.1 Relaying denied: no such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        original = envelope.original_content or envelope.content
        if not isinstance(original, bytes):
            original = str(original).encode("utf-8", "surrogateescape")
        sender = envelope.mail_from or ""
        raw = b"Return-Path: <" + sender.encode("utf-8", "replace") + b">\r\n" + original
        loop = asyncio.get_running_loop()
        try:
            look = _look(original)
            if look.may_be_reply:
                taken = await loop.run_in_executor(None, self._complete, raw, look.source)
                if taken is not None:
                    return f"250 OK {taken}"
        except Exception as error:
            log.warning("mail not journaled (%s): answered 451", type(error).__name__)
            return _TRY_LATER
        receipt = await self.intake.take(Channel.EMAIL, look.source, raw, CONTENT_TYPE)
        if isinstance(receipt, Refusal):
            return _TRY_LATER  # the sending server retries later
        return f"250 OK {receipt.tracking_code}"

    def _complete(self, raw: bytes, source: str) -> str | None:
        mail = parse_mail(raw)
        taken = self.completions.try_complete(raw, mail, source)
        return taken.tracking_code if taken else None


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.email.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(settings.email.tls_cert), str(settings.email.tls_key or settings.email.tls_cert))
    return context


async def serve(runtime: Runtime) -> None:
    """Listen until SIGTERM/SIGINT; sessions in progress are cut, unacknowledged mail is retried by senders."""
    settings = runtime.settings
    writer = IntakeWriter(runtime.redis_url)
    await writer.start()
    handler = Handler(runtime, Intake(writer.submit))
    context = tls_context(settings)
    freeze_startup_heap()
    loop = asyncio.get_running_loop()

    def factory() -> SMTP:
        return SMTP(
            handler,
            hostname=settings.email.hostname,
            ident="PAKN Gateway ESMTP",
            data_size_limit=settings.email.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            tls_context=context,
            require_starttls=False,
        )

    server = await loop.create_server(factory, host=settings.email.smtp_host, port=settings.email.smtp_port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info(
        "SMTP listening on %s:%s (STARTTLS %s)",
        settings.email.smtp_host,
        settings.email.smtp_port,
        "on" if context else "off",
    )
    await stop.wait()
    server.close()
    await server.wait_closed()
    await writer.close()


def run(runtime: Runtime) -> None:
    asyncio.run(serve(runtime))
