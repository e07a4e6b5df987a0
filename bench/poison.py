"""The poison mix of the fault run (`python -m bench.bench_faults --pakn-run --poison 0.01`).

Two kinds of poisoned submission, each sent once, retried only on a transient failure (a connection cut
by a SIGKILL, a 5xx, an SMTP 4xx), like a mail server or an app would:

- **mail** over SMTP to `pakn run`'s listener with bytes that do not decode in the sender's display name
  and the subject: VISCII and latin-1 8-bit headers, lone bad bytes, encoded words that lie about their
  charset (or name none Python knows), raw non-UTF-8 bodies.  Answered by ``250 <code>`` or a refusal.
- **API posts** with every value at its limit (accepted: 202) and one past it (refused at the edge with
  a 4xx naming the field): each text field at and over its ``max_length``, the Idempotency-Key in the
  body and in the header (128, 129, 255, 256 and 1,000 characters), the body at MAX_BODY_BYTES and past
  it; and JSON carrying lone surrogates or raw non-UTF-8 bytes (either answer is fine, it must be one).

Every submission acknowledged (202 or 250) must then end in a final status or ``failed``, never stay
``received``; that is checked by bench_faults from the journal.
"""

from __future__ import annotations

import asyncio
import base64
import json
import smtplib
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from annotated_types import MaxLen

from channels.api import SubmissionIn
from pakn import edge
from tests.samples import submission

OURS = "pakn@khanhhoa.gov.vn"
GIVE_UP_SECONDS = 300  # a client (a mail server) retries a transient failure this long
_FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "email" / "viscii_sender.eml"
_REPORT = (
    "Kính gửi Ban tiếp công dân, đèn đường trước nhà số {n} đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa "
    "không sáng đã ba đêm, từ 19h ngày 2/9/2024, người dân đi lại rất nguy hiểm. Đề nghị kiểm tra sửa chữa."
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What a poisoned submission got: ``202``/``250`` with a tracking code, or a refusal and its text."""

    kind: str  # "mail" or "api"
    variant: str
    status: int  # HTTP status or SMTP reply code; 0 if never answered
    code: str | None  # tracking code when acknowledged
    expected: int | None  # the HTTP status a correct gateway gives (None: any answer is right)
    clear: bool  # a refusal carries a message (naming the field, when one is at fault)


# --- mail ---------------------------------------------------------------------------------------------


def _mail(index: int, from_line: bytes, subject: bytes, body: bytes, headers: bytes = b"") -> bytes:
    from_line = from_line.replace(b"@example.vn>", b"%d@example.vn>" % index)  # one sender each: no repeats
    return (
        b"From: " + from_line + b"\r\n"
        b"To: " + OURS.encode() + b"\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Mon, 2 Sep 2024 21:10:00 +0700\r\n"
        b"Message-ID: <poison-" + str(index).encode() + b"@example.vn>\r\n"
        b"MIME-Version: 1.0\r\n" + headers + b"\r\n" + body
    )


def _viscii(index: int) -> bytes:
    """The real VISCII fixture (8-bit VISCII name and subject, UTF-8 body), with a Message-ID of its own."""
    raw = _FIXTURE.read_bytes()
    raw = raw.replace(b"<an.nguyen@example.vn>", b"<an.nguyen%d@example.vn>" % index)
    return raw.replace(b"<viscii-1@example.vn>", b"<poison-%d@example.vn>" % index)


def _latin1(index: int) -> bytes:
    body = _REPORT.format(n=index).encode("latin-1", "replace")
    return _mail(index, b'"Jos\xe9 Nguy\xean" <jose@example.vn>', b"Ph\xe1n \xe1nh \xf0\xe8n \xf0\xfd\xf5ng", body)


def _lone_bytes(index: int) -> bytes:
    body = _REPORT.format(n=index).encode() + b" \xff \xc3 \xe1\xba"
    headers = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
    return _mail(index, b'"\xff\xfe An \xc3" <an@example.vn>', b"Ph\xe1\xba n\x80 \xc3", body, headers)


def _lying_words(index: int) -> bytes:
    """Encoded words whose bytes are not of the charset they name, or of a charset Python does not know,
    and one carrying the UTF-8 form of a lone surrogate (ED A0 80)."""
    body = _REPORT.format(n=index).encode()
    headers = b"Content-Type: text/plain; charset=viscii\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    return _mail(
        index,
        b"=?utf-8?b?" + base64.b64encode(b"Nguy\xean V\xe3n") + b"?= <b@example.vn>",
        b"=?viscii?q?Ph=C6n_=E1nh?= =?utf-8?q?=ED=A0=80?= =?x-unknown?q?abc?=",
        body.replace(b"=", b"=3D"),
        headers,
    )


def _raw_junk(index: int) -> bytes:
    """Raw non-UTF-8 everywhere: NUL and escape bytes in headers, a cp1258 body declared UTF-8."""
    body = f"Đèn đường hỏng trước nhà số {index}, phường Nha Trang.".encode("cp1258", "replace")
    headers = b"X-Mailer: \x00\x1b[31m\xfe\r\nContent-Type: text/plain; charset=utf-8\r\n"
    return _mail(index, b"\x81\x8d\x8f\x90\x9d <junk@example.vn>", b"\x00\xff\xfe\xfd", body + b"\x00\xff", headers)


MAILS = {"viscii": _viscii, "latin-1": _latin1, "lone-bytes": _lone_bytes, "lying": _lying_words, "raw": _raw_junk}


def smtp_send(port: int, raw: bytes) -> tuple[int, bytes]:
    """One mail to the listener on ``port``: its last SMTP reply code and text."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.example.vn")
        code, message = client.mail("sender@example.vn")
        if code == 250:
            code, message = client.rcpt(OURS)
        if code == 250:
            code, message = client.data(raw)
        return code, message


async def send_mail(port: int, index: int, number: int, retries: list[str]) -> Answer:
    """The ``number``-th poisoned mail, until a final SMTP answer (250 or 5xx)."""
    variant, deadline = list(MAILS)[number % len(MAILS)], time.monotonic() + GIVE_UP_SECONDS
    raw = MAILS[variant](index)
    while time.monotonic() < deadline:
        try:
            code, message = await asyncio.to_thread(smtp_send, port, raw)
        except (OSError, smtplib.SMTPException) as error:
            retries.append(f"smtp {type(error).__name__}")
            await asyncio.sleep(0.5)
            continue
        if code == 250:
            return Answer("mail", variant, code, message.decode().split()[-1], None, True)
        if code >= 500:
            return Answer("mail", variant, code, None, None, bool(message.strip()))
        retries.append(f"smtp {code}")
        await asyncio.sleep(0.5)
    return Answer("mail", variant, 0, None, None, False)


# --- API posts at and over every limit ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Post:
    variant: str
    body: bytes
    headers: dict[str, str]
    expected: int | None
    names: str | None  # the field a refusal must name


def _limit(name: str) -> int:
    return next(m.max_length for m in SubmissionIn.model_fields[name].metadata if isinstance(m, MaxLen))


def _text(length: int) -> str:
    return ("Đường Trần Phú phường Nha Trang " * (length // 20 + 1))[:length]


def api_posts(index: int, max_body_bytes: int) -> list[_Post]:
    """Every variant for the index-th submission (each with keys of its own, so none is a repeat)."""

    def post(
        variant: str, expected: int | None, fields: dict[str, object], names: str | None = None, **headers: str
    ) -> _Post:
        body = submission(index, **fields)
        body.setdefault("idempotency_key", f"poison-{index}")
        return _Post(variant, json.dumps(body, ensure_ascii=False).encode(), headers, expected, names)

    posts = []
    for name in ("content", "incident_time", "location", "name", "phone", "email", "address"):
        limit = _limit(name)
        posts.append(post(f"{name} {limit} chars", 202, {name: _text(limit)}))
        posts.append(post(f"{name} {limit + 1} chars", 422, {name: _text(limit + 1)}, name))
    key_max = edge.IDEMPOTENCY_KEY_MAX
    for length in (key_max, key_max + 1):
        key = f"poison-{index}-".ljust(length, "k")
        expected = 202 if length <= key_max else 422
        posts.append(post(f"body key {length}", expected, {"idempotency_key": key}, "idempotency_key"))
    for length in (key_max, key_max + 1, 255, 256, 1000):
        key = f"poison-{index}-".ljust(length, "k")
        expected = 202 if length <= key_max else 400
        header = {"Idempotency-Key": key}
        posts.append(post(f"header key {length}", expected, {"idempotency_key": None}, "Idempotency-Key", **header))
    padded = json.dumps({**submission(index), "idempotency_key": f"poison-{index}", "padding": ""}).encode()
    for size, expected in ((max_body_bytes, 202), (max_body_bytes + 1, 413), (5 * max_body_bytes, 413)):
        body = padded[:-2] + b"x" * (size - len(padded)) + padded[-2:]
        posts.append(_Post(f"body {size} bytes", body, {}, expected, None))
    surrogates = json.dumps(submission(index, name="Nguy\udcd5n V\ud800n", idempotency_key=f"poison-{index}"))
    posts.append(_Post("lone surrogates", surrogates.encode(), {}, None, None))
    raw = json.dumps(submission(index, name="NAME", idempotency_key=f"poison-{index}")).encode()
    posts.append(_Post("raw non-UTF-8", raw.replace(b"NAME", b"Nguy\xd5n \xff\xc3"), {}, None, None))
    return posts


async def send_post(
    client: httpx.AsyncClient, url: str, index: int, number: int, max_body_bytes: int, retries: list[str]
) -> Answer:
    """The ``number``-th poisoned API post, until an answer that is not a transient failure."""
    posts = api_posts(index, max_body_bytes)
    spec = posts[number % len(posts)]
    headers = {"Content-Type": "application/json", **spec.headers}
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        try:
            response = await client.post(f"{url}/api/v1/submissions", content=spec.body, headers=headers)
        except httpx.HTTPError as error:
            retries.append(type(error).__name__)
            await asyncio.sleep(0.5)
            continue
        if response.status_code >= 500:
            retries.append(str(response.status_code))
            await asyncio.sleep(0.5)
            continue
        if response.status_code == 202:
            return Answer("api", spec.variant, 202, response.json()["tracking_code"], spec.expected, True)
        answer = response.json()
        named = {str(e.get("field")) for e in answer.get("errors") or []}
        clear = bool(answer.get("message")) and (spec.names is None or spec.names in named)
        return Answer("api", spec.variant, response.status_code, None, spec.expected, clear)
    return Answer("api", spec.variant, 0, None, spec.expected, False)


@dataclass
class Mix:
    """Which submissions of the run are poisoned (one in ``1 / fraction`` is a mail, one an API post),
    and what each poisoned one was answered."""

    fraction: float
    smtp_port: int
    max_body_bytes: int
    answers: list[Answer] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)  # each transient failure a poisoned one met

    @property
    def step(self) -> int:
        return max(3, round(1 / self.fraction))

    def kind(self, index: int) -> str | None:
        where = index % self.step
        return "mail" if where == self.step // 3 else "api" if where == 2 * self.step // 3 else None

    async def send(self, client: httpx.AsyncClient, url: str, index: int) -> None:
        number = index // self.step
        if self.kind(index) == "mail":
            answer = await send_mail(self.smtp_port, index, number, self.retries)
        else:
            answer = await send_post(client, url, index, number, self.max_body_bytes, self.retries)
        self.answers.append(answer)
