"""Later mails quoting a tracking code, through the real SMTP listener: a status request is answered by mail
(threaded, the status only) and opens no case; a code with new information from the same sender completes
that submission; the same text from someone else is a submission of its own."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from tests.channels.email.conftest import Dovecot, fixture
from tests.channels.email.test_email_imap import FOLDER, append, flagged, imap_env
from tests.channels.email.test_email_smtp import HOST, OURS, answers_to, send, start_smtp
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, wait_until
from tests.standins.smtp_relay import SmtpRelayStandIn


def _mail(name: str, **values: str) -> bytes:
    raw = fixture(name)
    for key, value in values.items():
        raw = raw.replace(b"{" + key.encode() + b"}", value.encode())
    return raw


def _mail_gateway(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn, **settings: str
) -> tuple[Gateway, int]:
    """A running gateway with its SMTP listener (the port returned) and answers through the relay stand-in."""
    port = free_port()
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        EMAIL_SMTP_PORT=str(port),
        EMAIL_ADDRESSES=OURS,
        EMAIL_HOSTNAME=HOST,
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(relay.port),
        **settings,
    )
    gateway.start_all()
    start_smtp(gateway, port)
    return gateway, port


def test_a_mail_quoting_a_code_is_answered_with_the_status_or_completes_the_same_senders_submission(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn
) -> None:
    gateway, port = _mail_gateway(make_gateway, relay)

    code, answer = send(port, fixture("no_message_id.eml"))
    assert code == 250
    waiting = answer.decode().split()[-1]
    (ask,) = wait_until(
        lambda: [m for m in relay.messages() if waiting in m["Subject"]], 40, "the needs-information mail"
    )
    link = re.search(rf"{gateway.url}/complete/{waiting}\?token=[A-Z2-7]+", ask.get_content())
    assert link, "the mail links to the web completion page"
    page = httpx.get(link.group(0), timeout=20)
    assert page.status_code == 200 and 'name="location"' in page.text

    # Someone else asks by mail, the code in lower case: the status, threaded under the request; no case.
    code, answer = send(port, _mail("lookup_request.eml", code=waiting.lower()), sender="binh.tran@example.vn")
    assert (code, answer.decode().split()[-1]) == (250, waiting)
    (status,) = wait_until(lambda: answers_to(relay, "lookup-1@example.vn"), 30, "the status answer")
    assert status["To"] == "binh.tran@example.vn"
    assert status["Auto-Submitted"] == "auto-replied"
    assert waiting in status["Subject"] and "Tình trạng" in status["Subject"]
    body = status.get_content()
    assert f"Phản ánh mã {waiting}: Cần bổ sung thông tin." in body
    assert "Nguyễn" not in body and "an.nguyen" not in body and "đèn đường" not in body
    assert gateway.journal("select count(*) from submissions") == [(1,)]
    assert send(port, _mail("lookup_request.eml", code=waiting.lower()), sender="binh.tran@example.vn")[0] == 250
    assert gateway.journal("select count(*) from email_outbound where kind = 'lookup'") == [(1,)], "answered once"

    # The code and new information from someone else: a submission of its own, the waiting one untouched.
    other = _mail("completion_quoting_code.eml", code=waiting, message_id="other-1@example.vn").replace(
        b"an.nguyen@example.vn", b"binh.tran@example.vn"
    )
    code, answer = send(port, other, sender="binh.tran@example.vn")
    assert code == 250 and answer.decode().split()[-1] != waiting
    assert gateway.journal("select count(*) from amendments") == [(0,)]

    # From the sender, outside the mail thread, the code in the text: it completes the same submission.
    mine = _mail("completion_quoting_code.eml", code=waiting, message_id="complete-1@example.vn")
    code, answer = send(port, mine)
    assert (code, answer.decode().split()[-1]) == (250, waiting)
    wait_until(lambda: waiting in {c for _, c in gateway.cases()}, 40, "the completed case at the case store")
    assert gateway.journal("select count(*) from amendments") == [(1,)]
    assert gateway.journal("select count(*) from submissions") == [(2,)]


def test_a_mail_left_unanswered_gets_a_threaded_reminder_then_is_closed(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn
) -> None:
    """The sweeper's reminder and closing, each an answer threaded under the citizen's mail.  The delays are
    the shortest the settings allow, and the journal's clock of the row is moved past them: nothing sleeps."""
    gateway, port = _mail_gateway(make_gateway, relay, REMINDER_AFTER_WORKING_DAYS="1", CLOSE_AFTER_WORKING_DAYS="1")
    code, answer = send(port, fixture("needs_information.eml"), sender="hoa.pham@example.vn")
    assert code == 250
    waiting = answer.decode().split()[-1]
    wait_until(lambda: answers_to(relay, "asks-1@example.vn"), 40, "the needs-information mail")

    gateway.journal(
        "update submissions set waiting_since = datetime('now', '-7 days') where tracking_code = ?", waiting
    )
    reminder = wait_until(
        lambda: [m for m in answers_to(relay, "asks-1@example.vn") if "Nhắc" in m["Subject"]], 30, "the reminder"
    )[0]
    gateway.journal("update submissions set reminded_at = datetime('now', '-7 days') where tracking_code = ?", waiting)
    closed = wait_until(
        lambda: [m for m in answers_to(relay, "asks-1@example.vn") if "đóng" in m["Subject"]], 30, "the closing"
    )[0]
    for mail in (reminder, closed):
        assert mail["To"] == "hoa.pham@example.vn" and waiting in mail["Subject"]
        assert mail["In-Reply-To"] == "<asks-1@example.vn>" and "<asks-1@example.vn>" in mail["References"]
        assert mail["Auto-Submitted"] == "auto-replied"
    assert f"/complete/{waiting}?token=" in reminder.get_content()
    assert "không đủ điều kiện" in closed.get_content()
    assert gateway.journal("select status from submissions where tracking_code = ?", waiting) == [("rejected",)]


def test_the_imap_poller_answers_a_status_request_the_same_way(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn, dovecot: Dovecot
) -> None:
    """The mailbox read by IMAP goes through the same reading (``MailIntake``): answered, flagged, no case."""
    user, password = dovecot.new_user()
    append(dovecot, user, password, ["plain_utf8.eml"])
    gateway = make_gateway(
        **imap_env(dovecot, user, password),
        EMAIL_HOSTNAME=HOST,
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(relay.port),
    )
    gateway.start_all()
    gateway.start("imap", "imap")
    wait_until(lambda: flagged(dovecot, user, password) == (1, 1), 60, "the first mail journaled")
    ((code,),) = gateway.journal("select tracking_code from submissions")

    client = dovecot.client(user, password)
    try:
        client.append(FOLDER, _mail("lookup_request.eml", code=code))
    finally:
        client.logout()
    wait_until(lambda: flagged(dovecot, user, password) == (2, 2), 60, "the status request flagged as done")
    (status,) = wait_until(lambda: answers_to(relay, "lookup-1@example.vn"), 30, "the status answer")
    assert status["To"] == "binh.tran@example.vn" and f"Phản ánh mã {code}:" in status.get_content()
    assert gateway.journal("select count(*) from submissions") == [(1,)]
