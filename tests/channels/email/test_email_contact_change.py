"""A completion that gives another email than the one on file: not applied, recorded, confirmed by a code
sent on the submission's original channel (here: a mail to the original sender, through the real outbox,
worker and relay), applied only with the right code; wrong codes are refused and throttled.

Two mails from one citizen wait for information.  The first is completed by its citizen, who changes
address and confirms with the code from the mail.  The second is completed by someone holding its
receipt token who tries to move it to their own address: the code goes to the real sender, the guesses
are refused, the change is refused after five, and the client is throttled."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from email import policy
from email.message import EmailMessage

import httpx
from pydantic import SecretStr

from channels.readers import READERS
from config.settings import Settings, WebSettings
from pakn.app.runtime import Runtime
from pakn.journal import Journal
from pakn.secret_keys import completion_token
from tests.channels.email.conftest import fixture
from tests.channels.email.test_email_smtp import HOST, OURS, send, start_smtp
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, wait_until
from tests.standins.smtp_relay import SmtpRelayStandIn

SECRET = "khoa-bi-mat-cua-cong-tiep-nhan-2026"
CITIZEN = "an.nguyen@example.vn"
MISSING = {"location": "số 4 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa", "incident_time": "8h sáng ngày 12/9/2024"}
CONFIRM_SUBJECT = "Xác nhận thay đổi thông tin liên hệ"


def mail_gateway(make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn, **env: str) -> tuple[Gateway, int]:
    """A running gateway whose SMTP listener takes mail on the port returned, answering through ``relay``."""
    port = free_port()
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        WEB_SECRET=SECRET,
        EMAIL_SMTP_PORT=str(port),
        EMAIL_ADDRESSES=OURS,
        EMAIL_HOSTNAME=HOST,
        EMAIL_MAX_ANSWERS_PER_SENDER_PER_DAY="50",
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(relay.port),
        **env,
    )
    gateway.start_all()
    start_smtp(gateway, port)
    return gateway, port


def mails_about(relay: SmtpRelayStandIn, code: str, subject: str) -> list[EmailMessage]:
    return [m for m in relay.messages() if code in m["Subject"] and subject in m["Subject"]]


def case_payload(gateway: Gateway, code: str) -> dict[str, object] | None:
    path = gateway.data_dir / "casestore.db"
    if not path.exists():
        return None
    with sqlite3.connect(path) as conn:
        try:
            row = conn.execute("select payload from cases where tracking_code = ?", (code,)).fetchone()
        except sqlite3.OperationalError:
            return None
    return json.loads(row[0]) if row else None


def changes(gateway: Gateway, code: str) -> list[tuple[str, str, str, str, int]]:
    return gateway.journal(
        "select c.field, c.old_value, c.new_value, c.state, c.attempts from contact_changes c"
        " join submissions s on s.id = c.submission_id where s.tracking_code = ? order by c.id",
        code,
    )


def email_the_normalizer_sees(gateway: Gateway, code: str) -> object:
    """What the worker reads for this submission now: the original, its completions, confirmed changes."""
    runtime = Runtime(Settings(pakn_data_dir=gateway.data_dir, web=WebSettings(secret=SecretStr(SECRET))))
    journal: Journal = runtime.journal
    stored = journal.reading.get_by_code(code)
    assert stored is not None
    amendments = journal.reading.amendments_of_many([stored.id])[stored.id]
    pinned = runtime.contact_changes.pinned_of_many([stored.id]).get(stored.id)
    email = READERS.submission(stored, amendments, pinned).fields.email
    runtime.journal.engine.dispose()
    return email


def test_a_changed_email_is_confirmed_on_the_original_channel_before_it_applies(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn
) -> None:
    gateway, port = mail_gateway(make_gateway, relay, WEB_RATE_LIMIT_COMPLETIONS="11")
    first_mail = fixture("no_message_id.eml")
    second_mail = first_mail.replace("đèn đường hỏng".encode(), "cây đổ chắn ngang đường".encode())
    codes = []
    for raw in (first_mail, second_mail):
        status, answer = send(port, raw)
        assert status == 250
        codes.append(answer.decode().split()[-1])
    own, attacked = codes
    for code in codes:
        wait_until(lambda code=code: mails_about(relay, code, "bổ sung"), 40, "the needs-information mail")
    token = {code: completion_token(Settings(web=WebSettings(secret=SecretStr(SECRET))), code) for code in codes}
    api = f"{gateway.url}/api/v1/submissions"

    # 1. The citizen completes the first and gives a new address (and a phone, which was missing).
    new_address = "an.nguyen.moi@example.vn"
    completed = httpx.post(
        f"{api}/{own}/completion",
        json={**MISSING, "phone": "0905123456", "email": new_address},
        headers={"X-Completion-Token": token[own]},
        timeout=10,
    )
    assert completed.status_code == 202, completed.text
    assert completed.json()["contact_change"] == ["email"]
    # The code goes to the original sender, never to the new address.
    (ask,) = wait_until(lambda: mails_about(relay, own, CONFIRM_SUBJECT), 40, "the confirmation mail")
    assert ask["To"] == CITIZEN
    assert not [m for m in relay.messages() if new_address in (m["To"] or "")]
    text = ask.get_content()
    assert new_address in text and "Ông/Bà" in text
    found = re.search(r"Mã xác nhận: (\d{6})", text)
    assert found
    secret_code = found[1]
    # What was missing is added and the case goes on, with the address on file, not the new one.
    payload = wait_until(lambda: case_payload(gateway, own), 40, "the completed case")
    flat = json.dumps(payload, ensure_ascii=False)
    assert CITIZEN in flat and new_address not in flat and "905123456" in flat
    assert changes(gateway, own) == [("email", CITIZEN, new_address, "pending", 0)]
    assert email_the_normalizer_sees(gateway, own) == CITIZEN
    # The public status never shows the code; the submitter's app (with the token) sees the message.
    shown = httpx.get(f"{api}/{own}", timeout=10).json()
    assert secret_code not in json.dumps(shown) and "contact-change" in [m["kind"] for m in shown["messages"]]
    with_token = httpx.get(f"{api}/{own}", headers={"X-Completion-Token": token[own]}, timeout=10).json()
    assert secret_code in json.dumps(with_token, ensure_ascii=False)

    confirm = f"{api}/{own}/contact-confirmation"
    wrong_code = f"{(int(secret_code) + 1) % 1_000_000:06d}"
    wrong = httpx.post(confirm, json={"confirmation_code": wrong_code}, timeout=10)
    assert wrong.status_code == 403 and wrong.json()["error"] == "contact-code", wrong.text
    assert "còn 4 lần" in wrong.json()["message"]
    assert changes(gateway, own) == [("email", CITIZEN, new_address, "pending", 1)], "not applied by a wrong code"
    right = httpx.post(confirm, json={"confirmation_code": secret_code}, timeout=10)
    assert right.status_code == 200, right.text
    assert right.json() == {"tracking_code": own, "status": "confirmed", "fields": ["email"]}
    assert changes(gateway, own) == [("email", CITIZEN, new_address, "confirmed", 1)]
    assert email_the_normalizer_sees(gateway, own) == new_address
    (done,) = wait_until(lambda: mails_about(relay, own, "đã được thay đổi"), 40, "the mail saying it was changed")
    assert done["To"] == CITIZEN and new_address in done.get_content()
    public = json.dumps(httpx.get(f"{api}/{own}", timeout=10).json(), ensure_ascii=False)
    assert "contact-changed" in public and new_address not in public, "the new address is not public"
    again = httpx.post(confirm, json={"confirmation_code": secret_code}, timeout=10)
    assert again.status_code == 409 and again.json()["error"] == "no-contact-change"
    # Staff see it with the old and new values.
    listed = json.loads(gateway.pakn("contact-changes", own, "--json").stdout)
    assert [(r["field"], r["old"], r["new"], r["state"]) for r in listed] == [
        ("email", CITIZEN, new_address, "confirmed")
    ]
    assert listed[0]["decided_at"]

    # 2. Someone with the second one's receipt token: another name is refused, nothing stored.
    impostor = {**MISSING, "completion_token": token[attacked]}
    renamed = httpx.post(f"{api}/{attacked}/completion", json={**impostor, "name": "Kẻ Giả Mạo"}, timeout=10)
    assert renamed.status_code == 409 and renamed.json()["error"] == "identity-kept"
    assert gateway.journal(
        "select count(*) from amendments a join submissions s on s.id = a.submission_id where s.tracking_code = ?",
        attacked,
    ) == [(0,)]
    # Their address instead: recorded, the code mailed to the real sender; their guesses refused.
    moved = httpx.post(f"{api}/{attacked}/completion", json={**impostor, "email": "ke.gia.mao@example.com"}, timeout=10)
    assert moved.status_code == 202 and moved.json()["contact_change"] == ["email"]
    (warning,) = wait_until(lambda: mails_about(relay, attacked, CONFIRM_SUBJECT), 40, "the confirmation mail")
    assert warning["To"] == CITIZEN and "ke.gia.mao@example.com" in warning.get_content()
    real = re.search(r"Mã xác nhận: (\d{6})", warning.get_content())
    assert real
    guesses = [f"{(int(real[1]) + n) % 1_000_000:06d}" for n in range(1, 6)]
    answers = [
        httpx.post(f"{api}/{attacked}/contact-confirmation", json={"confirmation_code": g}, timeout=10) for g in guesses
    ]
    assert [a.status_code for a in answers] == [403] * 5
    assert [a.json()["error"] for a in answers] == ["contact-code"] * 4 + ["contact-code-refused"]
    assert changes(gateway, attacked) == [("email", CITIZEN, "ke.gia.mao@example.com", "refused", 5)]
    # The client has now sent 11 completions and confirmations: the next, even with the right code, waits.
    throttled = httpx.post(f"{api}/{attacked}/contact-confirmation", json={"confirmation_code": real[1]}, timeout=10)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    payload = wait_until(lambda: case_payload(gateway, attacked), 40, "the second case")
    flat = json.dumps(payload, ensure_ascii=False)
    assert CITIZEN in flat and "ke.gia.mao" not in flat
    assert email_the_normalizer_sees(gateway, attacked) == CITIZEN


def test_a_reply_by_mail_with_another_phone_and_name_adds_only_what_was_missing(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn
) -> None:
    """The mail path: a reply to our question may carry a new phone (a new signature) or a name written
    in the text: the phone waits for the code mailed to the original sender; the name is recorded, never
    applied; what was missing is added and the case goes on."""
    gateway, port = mail_gateway(make_gateway, relay)
    signed = fixture("no_message_id.eml") + "\r\n-- \r\nNguyễn Văn An\r\nĐT: 0905 123 456\r\n".encode()
    status, answer = send(port, signed)
    assert status == 250
    code = answer.decode().split()[-1]
    (ask,) = wait_until(lambda: mails_about(relay, code, "bổ sung"), 40, "the needs-information mail")
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = f"Nguyễn Văn An <{CITIZEN}>"
    reply["To"] = OURS
    reply["Subject"] = "Re: " + ask["Subject"]
    reply["Message-ID"] = "<reply-phone-1@example.vn>"
    reply["In-Reply-To"] = ask["Message-ID"]
    reply["References"] = ask["Message-ID"]
    reply.set_content(
        "Địa điểm: số 4 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa. Thời gian: 8h sáng ngày 12/9/2024.\n"
        "Họ và tên: Trần Văn Bình. Số điện thoại mới: 0911 222 333\n"
    )
    status, answer = send(port, reply.as_bytes())
    assert (status, answer.decode().split()[-1]) == (250, code), "a completion of the same submission"
    (confirmation,) = wait_until(lambda: mails_about(relay, code, CONFIRM_SUBJECT), 40, "the confirmation mail")
    assert confirmation["To"] == CITIZEN and "0911 222 333" in confirmation.get_content()
    payload = wait_until(lambda: case_payload(gateway, code), 40, "the completed case")
    flat = json.dumps(payload, ensure_ascii=False)
    assert "Yersin" in flat, "what was missing is added"
    assert "Nguyễn Văn An" in flat and "Trần Văn Bình" not in flat, "the name on file stays"
    assert "905123456" in flat and "911222333" not in flat.replace(" ", ""), "the phone on file stays"
    assert changes(gateway, code) == [
        ("name", "Nguyễn Văn An", "Trần Văn Bình", "kept", 0),
        ("phone", "0905 123 456", "0911 222 333", "pending", 0),
    ]
    found = re.search(r"Mã xác nhận: (\d{6})", confirmation.get_content())
    assert found
    confirmed = httpx.post(
        f"{gateway.url}/api/v1/submissions/{code}/contact-confirmation",
        json={"confirmation_code": found[1]},
        timeout=10,
    )
    assert confirmed.status_code == 200 and confirmed.json()["fields"] == ["phone"], confirmed.text
    assert changes(gateway, code)[1][3] == "confirmed"
