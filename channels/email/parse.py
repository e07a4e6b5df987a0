"""A journaled mail → what the citizen said.

Pure functions of the raw bytes (no I/O): the SMTP listener and the IMAP poller use them to decide how
to journal a message, the worker uses them to read it back (``fields_from_raw`` is the ``channels.readers`` entry).
A malformed message never raises out of here: every header and part is read defensively, since a
crash would only make the submission ``unreadable`` when most of it can be read.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import ftfy
import nh3

from channels.answers import address_in, answer_fields, phone_in
from channels.email.attachments import AttachmentPolicy
from channels.email.loops import automatic_kind
from channels.text import valid_text
from config.settings import get_settings
from normalizer.fields.contacts import find_name
from normalizer.text import decode_bytes
from pakn import tracking
from pakn.records import Attachment, Defect, SubmissionFields

CONTENT_TYPE = "message/rfc822"
# The content type an email completion (a reply to our needs-information mail) is journaled with.
COMPLETION_CONTENT_TYPE = "message/rfc822; x-pakn=completion"

_MAX_SOURCE_ID = 240
# Containers (multipart/*, message/*) a mail may nest: real clients stay under ten.  Past this the body is
# not parsed (the email package recurses once per level: 1,000 levels exhaust Python's stack).
MAX_NESTED_PARTS = 64
_NESTED_RE = re.compile(rb"content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart|message)/", re.IGNORECASE)
# Control characters never belong in text we hand on (NUL breaks PostgreSQL's text); \t, \n, \r stay.
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MSGID_RE = re.compile(r"<([^<>\s]{1,500})>")
# Message-IDs of our own answers: <pakn-{notification id}-{tracking code}@host>
OUR_MSGID_RE = re.compile(r"^pakn-\d+-(PAKN-[0-9A-Z]{4}-[0-9A-Z]{4})@", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Part:
    """A non-text part: a candidate attachment, with its decoded bytes (None: undecodable)."""

    index: int
    filename: str  # a safe base name (no directories, no control characters): what is stored and forwarded
    content_type: str
    data: bytes | None
    damaged: str | None = None  # why the file is known to be incomplete (kept all the same), e.g. "truncated"
    original_filename: str = ""  # the name as the sender gave it, for display only (escape it where shown)


@dataclass(frozen=True, slots=True)
class Mail:
    """The parts of a message the channel needs, read once."""

    message: EmailMessage
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_name: str | None
    from_address: str | None
    reply_to: str | None
    return_path: str | None  # None: no header; "": the null sender <>
    date: datetime | None
    text: str
    signature: str
    parts: tuple[Part, ...] = field(default=())
    defects: tuple[Defect, ...] = field(default=())
    too_deep: bool = False  # more nested containers than MAX_NESTED_PARTS: the body was not read

    def header(self, name: str) -> str:
        return header(self.message, name)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        return (*self.in_reply_to, *self.references)

    def tracking_codes(self) -> tuple[str, ...]:
        """Codes of our own answers this mail replies to, then codes written in the subject."""
        found: list[str] = []
        for message_id in self.thread_ids:
            if m := OUR_MSGID_RE.match(message_id):
                found.append(m.group(1).upper())
        found.extend(tracking.written_codes(self.subject))
        return tuple(dict.fromkeys(found))


def too_deep(raw: bytes) -> bool:
    """More nested containers than MAX_NESTED_PARTS (counted, an upper bound of the depth, without parsing)."""
    return len(_NESTED_RE.findall(raw, 0, len(raw))) > MAX_NESTED_PARTS


def read_message(raw: bytes, headers_only: bool = False) -> EmailMessage:
    """The parsed message; only its headers when it nests too deep to parse (see ``too_deep``)."""
    headers_only = headers_only or too_deep(raw)
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=headers_only)
    assert isinstance(message, EmailMessage)
    return message


def header(message: Message, name: str) -> str:
    """A header as text, '' when absent (a broken header must not sink the message: its raw text then)."""
    try:
        value = message.get(name)
        text = None if value is None else " ".join(str(value).split())
    except Exception:  # the email package's header classes raise on some malformed values
        text = _raw_header(message, name)
    if text is None:
        return ""
    if "\ufffd" in text:
        # Raw 8-bit bytes (no RFC 2047): the email package replaced them; channels.text decodes them.
        raw = _raw_header(message, name) or ""
        if "=?" not in raw and any("\udc80" <= c <= "\udcff" for c in raw):
            text = raw
    return strip_controls(valid_text(text))  # surrogates of 8-bit bytes: see channels.text


def strip_controls(text: str) -> str:
    """``text`` without control characters (NUL, terminal escape sequences, C1), keeping tabs and line ends."""
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", text))


def _raw_header(message: Message, name: str) -> str | None:
    """The first ``name`` header as Python read it, unparsed (8-bit bytes as surrogates), unfolded."""
    try:
        for key, value in message.raw_items():
            if key.lower() == name.lower():
                return " ".join(str(value).split())
    except Exception:
        pass
    return None


def message_ids(text: str) -> tuple[str, ...]:
    return tuple(m.group(1) for m in _MSGID_RE.finditer(text))


def source_id(raw: bytes, message: Message | None = None) -> str:
    """The source identity of a mail: its Message-ID, else a hash of the bytes (the same copy twice
    from SMTP retries or an IMAP folder with a new UIDVALIDITY is recognised either way)."""
    message = message if message is not None else read_message(raw, headers_only=True)
    ids = message_ids(header(message, "message-id"))
    if ids:
        value = f"mid:{ids[0]}"
        if len(value) <= _MAX_SOURCE_ID:
            return value
        return "mid-sha256:" + hashlib.sha256(ids[0].encode()).hexdigest()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _address(message: Message, name: str) -> tuple[str | None, str | None]:
    try:
        value = message.get(name)
        addresses: tuple[Address, ...] = getattr(value, "addresses", ()) if value is not None else ()
        if addresses:
            first = addresses[0]
            address = valid_text(first.addr_spec) if first.username and first.domain else None
            return (strip_controls(valid_text(first.display_name)) or None, address.lower() if address else None)
    except Exception:
        pass
    text = header(message, name)
    m = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    return (None, m.group(0).lower() if m else None)


def _return_path(message: Message) -> str | None:
    values = message.get_all("return-path") if hasattr(message, "get_all") else None
    if not values:
        return None
    text = valid_text(str(values[0])).strip()
    if text in ("<>", ""):
        return ""
    return text.strip("<>").strip().lower()


def _date(message: Message) -> datetime | None:
    text = header(message, "date")
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# --- text of the body ----------------------------------------------------------------------------------------

_SKIP_TYPES = ("message/delivery-status", "text/rfc822-headers", "message/disposition-notification")


def decode_part(part: Message) -> str:
    """A text part's payload as text: declared charset if it reads well, else the normalizer's repair
    (undeclared, wrongly declared and legacy Vietnamese charsets: TCVN3, VNI, cp1258, ...)."""
    return _decode_text_part(part)[0]


def _decode_text_part(part: Message) -> tuple[str, bool]:
    """(the text, whether bytes were lost): damaged base64 is decoded leniently (see ``lenient_base64``)
    and its text taken in the declared charset with what cannot be read dropped, then repaired by ftfy,
    rather than read whole as some legacy charset (the mojibake ``Kính gá»­i``)."""
    data, lost = _payload_bytes(part)
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    if declared in ("us-ascii", "ascii"):
        declared = None  # 8-bit bytes under "us-ascii" are an undeclared charset in practice
    if lost:
        try:
            text = data.decode(declared or "utf-8", "replace").replace("\ufffd", "")
        except LookupError:
            text = decode_bytes(data).text
        return strip_controls(ftfy.fix_text(text, uncurl_quotes=False)), True
    return strip_controls(decode_bytes(data, valid_text(declared) if declared else None).text), False


def _payload_bytes(part: Message) -> tuple[bytes, bool]:
    """A part's decoded bytes, and whether some were lost to a damaged transfer encoding."""
    payload = part.get_payload()
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte == "base64" and isinstance(payload, str):
        return lenient_base64(payload.encode("utf-8", "surrogateescape"))
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data, False


_BASE64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def lenient_base64(encoded: bytes) -> tuple[bytes, bool]:
    """(the bytes, whether some were lost).  Valid base64 (any line length) decodes as usual.  Damaged
    base64 is decoded line by line and, within a line, 4 characters at a time from the line's start: a
    broken or foreign character costs its own 3 bytes, not the alignment (so the text) of all that follows.
    """
    compact = b"".join(encoded.split())
    try:
        return base64.b64decode(compact, validate=True), False
    except (binascii.Error, ValueError):
        pass
    out = bytearray()
    for line in encoded.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            out += base64.b64decode(line, validate=True)
            continue
        except (binascii.Error, ValueError):
            pass
        for i in range(0, len(line) - 3, 4):
            quantum = line[i : i + 4]
            if all(c in _BASE64_ALPHABET for c in quantum):
                with contextlib.suppress(binascii.Error, ValueError):
                    out += base64.b64decode(quantum, validate=True)
                if b"=" in quantum:
                    break  # padding ends the data: what follows on the line is not base64
    return bytes(out), True


_END_MARKERS = (
    (b"\xff\xd8\xff", b"\xff\xd9", 4096),  # JPEG: EOI
    (b"%PDF-", b"%%EOF", 4096),  # PDF
    (b"\x89PNG\r\n\x1a\n", b"IEND", 64),  # PNG: the IEND chunk
    (b"GIF8", b";", 16),  # GIF: the trailer
)
_HEADER_ROOM = 65536 + 16  # an EXIF segment (with its thumbnail) is at most 64 KiB
_DAMAGED_BASE64 = ("InvalidBase64PaddingDefect", "InvalidBase64LengthDefect", "InvalidBase64CharactersDefect")


def damage_of(data: bytes | None, part: Message | None = None) -> str | None:
    """Why a file is known to be incomplete: its format's end marker missing (a JPEG without FFD9, a PDF
    without %%EOF: cut short), or its base64 broken; None when nothing shows."""
    if not data:
        return None
    # Data after the end marker (a phone's "motion photo" video after a JPEG's EOI) is no damage; an end
    # marker only inside the first 64 KiB may be an EXIF thumbnail's, not the file's.
    for magic, end, window in _END_MARKERS:
        if data.startswith(magic) and end not in data[-window:] and data.rfind(end) < _HEADER_ROOM:
            return "truncated"
    if part is not None and any(type(d).__name__ in _DAMAGED_BASE64 for d in getattr(part, "defects", ())):
        return "damaged"
    return None


_UNSAFE_NAME = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')


def safe_filename(name: str, fallback: str) -> str:
    """A base name safe to store and show as a path: no directories (``../../etc/passwd`` → ``passwd``,
    ``..\\..\\Windows\\win.ini`` → ``win.ini``), no control or reserved characters, no leading dots."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", strip_controls(base)).strip().lstrip(".").strip()
    base = base.encode("utf-8")[:200].decode("utf-8", "ignore")
    return base or fallback


def _body_and_parts(message: EmailMessage) -> tuple[str, tuple[Part, ...], tuple[Defect, ...]]:
    plain: str | None = None
    html: str | None = None
    parts: list[Part] = []
    defects: list[Defect] = []
    try:
        walked = list(message.walk())
    except Exception:
        walked = [message]
    # An unterminated multipart (the mail cut short): its last part is the one that was cut.
    cut_off: set[int] = set()
    for container in walked:
        if container.is_multipart() and any(
            type(d).__name__ == "CloseBoundaryNotFoundDefect" for d in container.defects
        ):
            children = container.get_payload()
            if isinstance(children, list) and children:
                cut_off.add(id(children[-1]))
    for index, part in enumerate(walked):
        try:
            if part.is_multipart():
                continue
            ctype = part.get_content_type()
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except Exception:
            continue
        if ctype.startswith("multipart/"):
            # Declared multipart, but no parts could be found (no boundary= or none in the body): the body
            # is taken as the text it most likely is, so the citizen is not asked to resend what they sent.
            if plain is None:
                plain = strip_controls(decode_bytes(_payload_bytes(part)[0]).text)
                defects.append(Defect("email-no-boundary"))
            continue
        if ctype in _SKIP_TYPES:
            continue
        is_text = ctype in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not filename:
            if (ctype == "text/plain" and plain is None) or (ctype == "text/html" and html is None):
                text, lost = _decode_text_part(part)
                if lost:
                    defects.append(Defect("email-damaged-text"))
                if ctype == "text/plain":
                    plain = text
                else:
                    html = text
            continue
        if ctype.startswith("message/"):
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        data = data if isinstance(data, bytes) else None
        original = strip_controls(valid_text(filename or "")).strip()[:255]
        name = safe_filename(original, f"part-{index}")
        damaged = damage_of(data, part) or ("truncated" if id(part) in cut_off and data else None)
        if damaged:
            defects.append(Defect("email-attachment-damaged", original or name))
        parts.append(Part(index, name, valid_text(ctype), data, damaged, original or name))
    if plain is not None and plain.strip():
        return plain, tuple(parts), tuple(defects)
    if html is not None:
        return html_to_text(html), tuple(parts), tuple(defects)
    return plain or "", tuple(parts), tuple(defects)


_BLOCKS = frozenset(
    [
        "p",
        "br",
        "div",
        "li",
        "tr",
        "table",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "td",
    ]
)
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "divrplyfwdmsg", "gmail_signature")


class _TextOf(HTMLParser):
    """Text of sanitized HTML: block elements become line breaks; quoted replies are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            if not self.skipping:
                self.out.append("\n")
            return
        classes = " ".join((v or "") for k, v in attrs if k in ("class", "id")).lower()
        quote = tag == "blockquote" or any(c in classes for c in _QUOTE_CLASSES)
        self.stack.append((tag, quote))
        if quote:
            self.skipping += 1
        if tag in _BLOCKS and not self.skipping:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for _name, quote in self.stack[i:]:
                    if quote:
                        self.skipping -= 1
                del self.stack[i:]
                break
        if tag in _BLOCKS and not self.skipping:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Sanitize (nh3: scripts, styles, comments and unknown tags go) and keep the readable text."""
    clean = nh3.clean(
        html,
        tags=set(_BLOCKS) | {"span", "b", "i", "u", "strong", "em", "a", "font"},
        attributes={"*": {"class", "id"}},
        link_rel=None,
    )
    parser = _TextOf()
    parser.feed(clean)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.out).replace("\xa0", " ").splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- quoted replies and signatures ----------------------------------------------------------------------------

_REPLY_INTRO = re.compile(
    r"^\s*(?:"
    r"on\b.{0,300}\bwrote:?"  # On Mon, 12 Sep 2024 ... <a@b> wrote:
    r"|vào\b.{0,300}\bđã viết:?"  # Vào 9:00 Th 2, 12 thg 9, 2024 ... đã viết:
    r"|.{0,200}\bđã viết:"
    r"|-{2,}\s*(?:original message|forwarded message|thư gốc|tin nhắn gốc|thư chuyển tiếp)\s*-{2,}"
    r"|_{20,}"
    r")\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK_START = re.compile(r"^\s*(?:from|từ|người gửi)\s*:", re.IGNORECASE)
_HEADER_BLOCK_NEXT = re.compile(r"^\s*(?:sent|date|to|subject|gửi|ngày|đến|tới|chủ đề)\s*:", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(
    r"^\s*(?:sent from my .{1,60}|sent from .{1,40} for .{1,40}|gửi từ .{1,60}|được gửi từ .{1,60})\s*$",
    re.IGNORECASE,
)


def strip_quotes_and_signature(text: str) -> tuple[str, str]:
    """(what the citizen wrote now, their signature): quoted earlier mails and footers are dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    signature: list[str] = []
    for i, line in enumerate(lines):
        if _REPLY_INTRO.match(line) and i > 0:
            break
        if (
            i + 1 < len(lines)
            and line.strip().lower().startswith("on ")
            and lines[i + 1].strip().lower().endswith("wrote:")
        ):
            break
        if _HEADER_BLOCK_START.match(line) and any(_HEADER_BLOCK_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            break
        if line.rstrip() == "--" or line == "-- ":
            signature = lines[i + 1 :]
            break
        if line.lstrip().startswith(">"):
            continue
        if _MOBILE_FOOTER.match(line):
            continue
        kept.append(line.rstrip())
    body = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", body), "\n".join(s.rstrip() for s in signature).strip()


# --- the whole message ----------------------------------------------------------------------------------------


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FIRST_DELIMITER = re.compile(rb"\s*--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?\n")
_MULTIPART_TYPE = re.compile(rb"(?im)^(content-type:[ \t]*multipart/[\w.+-]+)")


def _with_guessed_boundary(raw: bytes) -> bytes | None:
    """A multipart mail whose Content-Type lost its ``boundary=`` but whose body still opens with a
    delimiter line (``--xyz``): the same bytes with that boundary declared, else None."""
    end = _HEADER_END.search(raw)
    if end is None:
        return None
    head, body = raw[: end.start()], raw[end.start() :]
    delimiter = _FIRST_DELIMITER.match(body, len(end.group(0)))
    if delimiter is None:
        return None
    boundary = delimiter.group(1)
    fixed, count = _MULTIPART_TYPE.subn(lambda m: m.group(1) + b'; boundary="' + boundary + b'"', head, count=1)
    return fixed + body if count else None


def parse_mail(raw: bytes) -> Mail:
    """Read a message: headers, the citizen's own text, and its non-text parts."""
    deep = too_deep(raw)
    message = read_message(raw)
    guessed = None
    if not deep and message.get_content_maintype() == "multipart" and not message.is_multipart():
        guessed = _with_guessed_boundary(raw)
        if guessed is not None:
            message = read_message(guessed)
    from_name, from_address = _address(message, "from")
    _, reply_to = _address(message, "reply-to")
    body: str = ""
    parts: tuple[Part, ...] = ()
    defects: tuple[Defect, ...] = ()
    if not deep:
        with contextlib.suppress(Exception):
            body, parts, defects = _body_and_parts(message)
        if guessed is not None:
            defects = (Defect("email-no-boundary"), *defects)
    text, signature = strip_quotes_and_signature(body)
    return Mail(
        message=message,
        message_id=(message_ids(header(message, "message-id")) or (None,))[0],
        in_reply_to=message_ids(header(message, "in-reply-to")),
        references=message_ids(header(message, "references")),
        subject=header(message, "subject"),
        from_name=from_name,
        from_address=from_address,
        reply_to=reply_to,
        return_path=_return_path(message),
        date=_date(message),
        text=text,
        signature=signature,
        parts=parts,
        defects=defects,
        too_deep=deep,
    )


def _sender_name(mail: Mail) -> str | None:
    name = (mail.from_name or "").strip().strip('"').strip()
    if not name or "@" in name:
        return None
    return name


def attachment_records(mail: Mail) -> tuple[Attachment, ...]:
    """What the case gets of the attachments: the parts the policy keeps (see channels.email.attachments)."""
    return tuple(a for a in AttachmentPolicy.from_settings().judge(mail.parts) if isinstance(a, Attachment))


def fields_from_raw(payload: bytes, content_type: str = CONTENT_TYPE) -> SubmissionFields:
    """The ``channels.readers`` entry for ``message/rfc822``: a new submission, or a completion of one."""
    return fields_of_mail(parse_mail(payload), content_type)


def fields_of_mail(mail: Mail, content_type: str = CONTENT_TYPE) -> SubmissionFields:
    """What the citizen said in a mail already read (the worker reads each journaled mail once)."""
    if mail.too_deep:
        raise ValueError(f"more than {MAX_NESTED_PARTS} nested MIME parts")
    if "x-pakn=completion" in content_type.replace(" ", "").lower():
        return completion_fields(mail)
    if kind := automatic_kind(mail, get_settings().email.addresses):
        # Journaled, never a case: only what the IT centre needs to see what it was.
        return SubmissionFields(email=mail.from_address, defects=mail.defects, automatic=kind)
    signature = mail.signature
    return SubmissionFields(
        content=mail.text or None,
        name=_sender_name(mail),
        email=mail.reply_to or mail.from_address,
        phone=phone_in(signature) if signature else None,
        address=address_in(signature or "") or address_in(mail.text),
        attachments=attachment_records(mail),
        defects=mail.defects,
    )


def completion_identity(mail: Mail) -> SubmissionFields:
    """Who a reply says the submitter is (name, phone, address) as ``completion_fields`` reads it, without
    the place and time extractors: the listener checks it before its ``250`` (channels.identity)."""
    text = mail.text
    return SubmissionFields(
        name=find_name(text),
        phone=phone_in(text) or (phone_in(mail.signature) if mail.signature else None),
        email=mail.reply_to or mail.from_address,
    )


def completion_fields(mail: Mail) -> SubmissionFields:
    """A reply completing a submission: only what it adds, so the original content stays (``answer_fields``)."""
    answer = answer_fields(mail.text, mail.date or datetime.now(UTC), get_settings().province_code, mail.signature)
    return replace(
        answer,
        email=mail.reply_to or mail.from_address,
        attachments=attachment_records(mail),
        defects=mail.defects,
    )
