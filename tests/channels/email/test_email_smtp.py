"""The SMTP listener end to end: smtplib → `pakn smtp` → journal → worker → case store, answers via the relay."""

from __future__ import annotations

import json
import smtplib
import socket
import sqlite3
import uuid
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import psycopg
import pytest

from tests.channels.email.conftest import fixture
from tests.conftest import POSTGRES_ADMIN, SYSTEM_REDIS, Gateway, free_port, wait_until
from tests.standins.smtp_relay import SmtpRelayStandIn

OURS = "pakn@khanhhoa.gov.vn"
HOST = "pakn.khanhhoa.gov.vn"


def start_smtp(gateway: Gateway, port: int) -> None:
    gateway.start("smtp", "smtp")

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(listening, 30, "the SMTP listener")


def send(port: int, raw: bytes, sender: str = "an.nguyen@example.vn", to: str = OURS) -> tuple[int, bytes]:
    """One SMTP transaction; the server's final answer to DATA (CRLF bytes as mail programs send)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.example.vn")
        code, _ = client.mail(sender)
        assert code == 250
        code, message = client.rcpt(to)
        if code != 250:
            return code, message
        return client.data(raw)


def answers_to(relay: SmtpRelayStandIn, message_id: str) -> list[EmailMessage]:
    return [m for m in relay.messages() if m.get("In-Reply-To", "") == f"<{message_id}>"]


def test_mail_in_by_smtp_becomes_one_case_and_gets_threaded_answers(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn
) -> None:
    port = free_port()
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        EMAIL_SMTP_PORT=str(port),
        EMAIL_ADDRESSES=f"{OURS},@phananh.khanhhoa.gov.vn",
        EMAIL_HOSTNAME=HOST,
        EMAIL_MAX_MESSAGE_BYTES="100000",
        EMAIL_MAX_ANSWERS_PER_SENDER_PER_DAY="4",
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(relay.port),
    )
    gateway.start_all()
    start_smtp(gateway, port)

    # Never a relay; never past the size limit.
    assert send(port, fixture("plain_utf8.eml"), to="someone@gmail.com")[0] == 550
    too_big = fixture("plain_utf8.eml") + b"x" * 120_000 + b"\r\n"
    with (
        pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as refused,
        smtplib.SMTP("127.0.0.1", port, timeout=30) as client,
    ):
        client.sendmail("an.nguyen@example.vn", [OURS], too_big)
    assert refused.value.smtp_code == 552

    # A complete mail: 250 with its tracking code, one case, an acknowledgement threaded under it.
    code, answer = send(port, fixture("plain_utf8.eml"))
    assert code == 250
    tracking = answer.decode().split()[-1]
    assert tracking.startswith("PAKN-")
    assert send(port, fixture("plain_utf8.eml"))[0] == 250  # the same Message-ID again (a retry)
    wait_until(lambda: len(gateway.cases()) == 1, 40, "the case at the case store")
    (ack,) = wait_until(lambda: answers_to(relay, "plain-1@example.vn"), 30, "the acknowledgement")
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["To"] == "an.nguyen@example.vn"
    assert tracking in ack["Subject"] and "Đã tiếp nhận" in ack["Subject"]
    assert "<plain-1@example.vn>" in ack["References"]
    assert f"mã {tracking} đã được tiếp nhận" in ack.get_content()
    assert gateway.cases() == [(f"pakn-{tracking}", tracking)]

    # Mail no person wrote is journaled all the same, with its kind: never a case, never answered.
    for name in ("bounce_dsn.eml", "auto_reply.eml", "mailing_list.eml"):
        assert send(port, fixture(name), sender="" if name == "bounce_dsn.eml" else "x@example.vn")[0] == 250
    automatic = wait_until(
        lambda: len(r := gateway.journal("select findings from submissions where status='rejected'")) == 3 and r,
        40,
        "three automatic mails journaled",
    )
    assert sorted(json.loads(f)[0]["detail"]["kind"] for (f,) in automatic) == ["auto-reply", "bounce", "newsletter"]

    # Attachments: kept by SHA-256, or refused with the reason, which the answer tells the citizen.  The
    # listener answers once the raw mail is journaled; the worker stores the parts from the journal.
    assert send(port, fixture("multipart_photo.eml"))[0] == 250
    assert send(port, fixture("exe_attachment.eml"))[0] == 250
    kept = wait_until(
        lambda: len(r := gateway.journal("select filename, sha256, refused from email_attachments")) == 4 and r,
        40,
        "the attachments stored by the worker",
    )
    assert sorted((f, r or "") for f, _, r in kept) == [
        ("bien-ban.pdf", "forbidden-type"),
        ("den-duong.jpg", ""),
        ("hoa-don.pdf.exe", "forbidden-type"),
        ("đơn.pdf", ""),
    ]
    photo = next(sha for f, sha, _ in kept if f == "den-duong.jpg")
    assert (gateway.data_dir / "attachments" / photo[:2] / photo).exists()
    (exe_ack,) = wait_until(lambda: answers_to(relay, "exe-1@example.vn"), 30, "the answer to the .exe mail")
    assert "hoa-don.pdf.exe: loại tệp không được phép" in exe_ack.get_content()

    # Needs information → the citizen's reply completes the same submission.
    code, answer = send(port, fixture("no_message_id.eml"))
    incomplete = answer.decode().split()[-1]
    (ask,) = wait_until(
        lambda: [m for m in relay.messages() if incomplete in m["Subject"]], 40, "the needs-information mail"
    )
    assert "cần bổ sung thông tin" in ask.get_content() and "địa điểm" in ask.get_content()
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = "Nguyễn Văn An <an.nguyen@example.vn>"
    reply["To"] = OURS
    reply["Subject"] = "Re: " + ask["Subject"]
    reply["Message-ID"] = "<reply-1@example.vn>"
    reply["In-Reply-To"] = ask["Message-ID"]
    reply["References"] = ask["Message-ID"]
    reply.set_content(
        "Địa điểm: số 4 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa. Thời gian: 8h sáng ngày 12/9/2024.\n\n"
        + "> Phản ánh, kiến nghị cần bổ sung thông tin\n"
    )
    code, answer = send(port, reply.as_bytes())
    assert (code, answer.decode().split()[-1]) == (250, incomplete)
    # plain, exe, the completed one (the photo mail repeats the plain one's content: merged into it)
    wait_until(lambda: len(gateway.cases()) == 3, 40, "the completed case")
    assert incomplete in {code for _, code in gateway.cases()}
    assert gateway.journal("select count(*) from amendments") == [(1,)]
    assert gateway.journal("select count(*) from submissions") == [(7,)]  # the reply opened no new case

    # At most N answers per sender per day: the 5th to the same address (the completed case's
    # acknowledgement, after plain, photo, exe and the request for information) is withheld.
    wait_until(
        lambda: gateway.journal("select count(*) from email_outbound where reason='daily-limit'") == [(1,)],
        30,
        "the 5th answer withheld",
    )
    assert gateway.journal("select count(*) from email_outbound where status='sent'") == [(4,)]
    raw = [BytesParser(policy=policy.default).parsebytes(r) for _, _, r in relay.received]
    assert all(m["Auto-Submitted"] == "auto-replied" for m in raw)


def test_journal_failure_answers_451_so_the_sender_retries(make_gateway: Callable[..., Gateway]) -> None:
    name = f"pakn_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    port = free_port()
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, DATABASE_URL=url, EMAIL_SMTP_PORT=str(port), EMAIL_ADDRESSES=OURS)
    gateway.pakn("db", "upgrade")
    start_smtp(gateway, port)
    assert send(port, fixture("base64.eml"))[0] == 250
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    code, message = send(port, fixture("quoted_printable.eml"))
    assert code == 451, message


def test_broken_and_hostile_mail_through_the_listener_and_a_worker(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn
) -> None:
    """Issue #16: each broken or hostile shape, sent by SMTP, comes out as what it is."""
    port = free_port()
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        EMAIL_SMTP_PORT=str(port),
        EMAIL_ADDRESSES=f"{OURS},@phananh.khanhhoa.gov.vn",
        EMAIL_HOSTNAME=HOST,
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(relay.port),
    )
    gateway.start_all()
    start_smtp(gateway, port)
    names = (
        "no_boundary.eml",
        "bad_base64.eml",
        "control_chars.eml",
        "truncated_files.eml",
        "own_address.eml",
        "traversal_names.eml",
        "nested_1000.eml",
        "qmail_bounce.eml",
        "out_of_office.eml",
        "newsletter.eml",
        "noreply_notice.eml",
    )
    codes = {}
    for name in names:
        sender = "" if name == "qmail_bounce.eml" else "x@example.vn"
        code, answer = send(port, fixture(name), sender=sender)
        assert code == 250, (name, answer)
        codes[name] = answer.decode().split()[-1]

    def row(name: str) -> tuple[str, list[dict[str, Any]]]:
        ((status, findings),) = gateway.journal(
            "select status, findings from submissions where tracking_code = ?", codes[name]
        )
        return status, json.loads(findings or "[]")

    wait_until(lambda: all(row(n)[0] not in ("received",) for n in names), 60, "every mail judged by the worker")

    # 1-3: the text recovered (no boundary, damaged base64, control characters), the defects visible.
    for name, defect in (("no_boundary.eml", "email-no-boundary"), ("bad_base64.eml", "email-damaged-text")):
        tracking = codes[name]
        case = wait_until(lambda: cases_with(gateway, tracking), 40, f"the case of {name}")  # noqa: B023
        assert case["content"].startswith("Kính gửi Ban tiếp công dân"), name
        assert "gá»" not in case["content"]
        (finding,) = [f for f in case["findings"] if f["code"] == defect]
        assert finding["severity"] == "info" and finding["message"]
    control = wait_until(lambda: cases_with(gateway, codes["control_chars.eml"]), 40, "the control-character case")
    assert "\x00" not in control["content"] and "\x1b" not in control["content"]

    # 4: damaged files kept and marked; the citizen is told which could not be read.
    damaged = gateway.journal(
        "select filename, damaged, sha256 is not null from email_attachments e join submissions s "
        "on s.id = e.submission_id where s.tracking_code = ? order by e.id",
        codes["truncated_files.eml"],
    )
    assert damaged == [
        ("IMG_0412.jpg", "truncated", 1),
        ("don-phan-anh.pdf", "truncated", 1),
        ("IMG_0413.jpg", None, 1),
    ]
    (ack,) = wait_until(lambda: answers_to(relay, "trunc-1@icloud.com"), 30, "the answer to the truncated files")
    told = ack.get_content()
    assert "bị hỏng hoặc không đầy đủ" in told
    assert "- IMG_0412.jpg" in told and "- don-phan-anh.pdf" in told and "IMG_0413.jpg" not in told
    assert row("truncated_files.eml")[0] in ("accepted", "forwarded"), row("truncated_files.eml")
    truncated_case = wait_until(lambda: cases_with(gateway, codes["truncated_files.eml"]), 40, "the photo case")
    assert {f["detail"]["about"] for f in truncated_case["findings"] if f["code"] == "email-attachment-damaged"} == {
        "IMG_0412.jpg",
        "don-phan-anh.pdf",
    }

    # 6: safe base names stored, the originals kept for display.
    names_stored = gateway.journal(
        "select filename, original_filename from email_attachments e join submissions s "
        "on s.id = e.submission_id where s.tracking_code = ? order by e.id",
        codes["traversal_names.eml"],
    )
    assert names_stored == [("passwd", "../../etc/passwd"), ("win.ini", "..\\..\\Windows\\win.ini")]

    # 7: 1,000 nested parts: unreadable, and the notice is sent once (it does not reparse the body).
    status, findings = row("nested_1000.eml")
    assert status == "rejected" and [f["code"] for f in findings] == ["unreadable"]
    (notice,) = wait_until(lambda: answers_to(relay, "CAJ7deep@mail.gmail.com"), 30, "the unreadable notice")
    assert "Không đọc được nội dung" in notice.get_content()
    assert gateway.journal(
        "select n.attempts <= 1, n.last_error is null from notifications n join submissions s "
        "on s.id = n.submission_id where s.tracking_code = ?",
        codes["nested_1000.eml"],
    ) == [(1, 1)]

    # 5, 8: our own address and mail no person wrote: journaled with their kind, never a case, no answer.
    kinds = {
        "own_address.eml": "own-address",
        "qmail_bounce.eml": "bounce",
        "out_of_office.eml": "auto-reply",
        "newsletter.eml": "newsletter",
        "noreply_notice.eml": "notice",
    }
    for name, kind in kinds.items():
        status, findings = row(name)
        assert status == "rejected", name
        assert [(f["code"], f["detail"]["kind"]) for f in findings] == [("automatic-mail", kind)], name
        assert gateway.journal(
            "select count(*) from notifications n join submissions s on s.id = n.submission_id "
            "where s.tracking_code = ?",
            codes[name],
        ) == [(0,)], name
    case_codes = {code for _, code in gateway.cases()}
    assert not case_codes & {codes[n] for n in kinds}
    assert not [m for m in relay.messages() if m["To"] in ("pakn@khanhhoa.gov.vn", "x@example.vn")]

    # An out-of-office answer to our request for information completes nothing: it is journaled apart.
    code, answer = send(port, fixture("empty_body.eml"))
    empty = answer.decode().split()[-1]
    (ask,) = wait_until(lambda: [m for m in relay.messages() if empty in m["Subject"]], 40, "the request for more")
    ooo = fixture("out_of_office.eml").replace(
        b"Message-ID: <ooo-1@outlook.com>",
        f"Message-ID: <ooo-2@outlook.com>\r\nIn-Reply-To: {ask['Message-ID']}".encode(),
    )
    code, answer = send(port, ooo)
    codes["reply"] = answer.decode().split()[-1]
    assert code == 250 and codes["reply"] != empty
    assert gateway.journal("select count(*) from amendments") == [(0,)]
    wait_until(lambda: row("reply")[0] == "rejected", 30, "the auto-reply judged")
    assert [(f["code"], f["detail"]["kind"]) for f in row("reply")[1]] == [("automatic-mail", "auto-reply")]
    assert gateway.journal("select status from submissions where tracking_code = ?", empty) == [("needs_information",)]

    # ... and counted apart from citizens' mail.
    stats_ready = wait_until(
        lambda: gateway.journal("select count(*) from submissions where status = 'received'") == [(0,)],
        30,
        "all judged",
    )
    assert stats_ready
    stats = json.loads(gateway.pakn("stats", "--json").stdout)["report"]
    assert stats["automatic"] == {"auto-reply": 2, "bounce": 1, "newsletter": 1, "notice": 1, "own-address": 1}
    assert stats["received"] == len(names) - len(kinds) + 1  # citizens' mail only, the empty one included
    assert "automatic-mail" not in stats["not_eligible_reasons"]


def cases_with_payloads(gateway: Gateway) -> list[tuple[str, str]]:
    path = gateway.data_dir / "casestore.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        try:
            return conn.execute("select tracking_code, payload from cases").fetchall()
        except sqlite3.OperationalError:
            return []


def cases_with(gateway: Gateway, tracking_code: str) -> dict[str, Any] | None:
    for code, payload in cases_with_payloads(gateway):
        if code == tracking_code:
            return dict(json.loads(payload))
    return None
