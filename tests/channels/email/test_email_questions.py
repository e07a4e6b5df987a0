"""The case store's question by mail, through the real SMTP listener and the relay stand-in: the question is
mailed threaded under the citizen's mail, with the reply form's link; the citizen's reply in that thread is
the answer (their quoted mail and signature left out), taken once even if the mail comes twice, delivered to
the case store (the embedded `sql` one) with no identity; a reply once the question is answered is a mail
like any other.  Then, resolved, the request to rate by mail with the rating page's link."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable

import httpx

from config.catalog import load_catalog
from config.settings import Settings
from dispatcher.sinks import sign
from tests.channels.email.conftest import fixture
from tests.channels.email.test_email_smtp import HOST, OURS, answers_to, send, start_smtp
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, wait_until
from tests.standins.smtp_relay import SmtpRelayStandIn

CATALOG = load_catalog(Settings().data_dir)

SECRET = "mail-loop-secret-0123456789"


def ask(gateway: Gateway, body: dict[str, object], path: str = "questions") -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"X-PAKN-Signature": sign(SECRET.encode(), int(time.time()), raw), "content-type": "application/json"}
    return httpx.post(f"{gateway.url}/api/v1/case-store/{path}", content=raw, headers=headers, timeout=10)


def answers_at_store(gateway: Gateway, table: str = "case_replies") -> list[dict[str, object]]:
    path = gateway.data_dir / "casestore.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        try:
            return [json.loads(p) for (p,) in conn.execute(f"select payload from {table}")]
        except sqlite3.OperationalError:
            return []


def reply_mail(question_id: str, subject: str, message_id: str, text: str) -> bytes:
    return (
        'From: "Nguyễn Văn An" <an.nguyen@example.vn>\r\n'
        f"To: {OURS}\r\n"
        f"Subject: Re: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\n"
        f"In-Reply-To: <{question_id}>\r\n"
        f"References: <plain-1@example.vn> <{question_id}>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"{text}\r\n\r\n"
        "-- \r\nNguyễn Văn An\r\nĐT: 0905 123 456\r\n\r\n"
        "Vào 9:00 Ban tiếp công dân <pakn@khanhhoa.gov.vn> đã viết:\r\n> Cột đèn nào?\r\n"
    ).encode()


def test_a_question_by_mail_is_answered_by_a_reply_in_its_thread(
    make_gateway: Callable[..., Gateway], relay: SmtpRelayStandIn
) -> None:
    port = free_port()
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        EMAIL_SMTP_PORT=str(port),
        EMAIL_ADDRESSES=OURS,
        EMAIL_HOSTNAME=HOST,
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(relay.port),
        CASE_STORE_SECRET=SECRET,
    )
    gateway.start_all()
    start_smtp(gateway, port)
    code, answer = send(port, fixture("plain_utf8.eml"))
    assert code == 250
    tracking = answer.decode().split()[-1]
    wait_until(lambda: len(gateway.cases()) == 1, 60, "the case at the case store")

    question = "Cột đèn hỏng là cột thứ mấy tính từ ngã tư?"
    assert ask(gateway, {"tracking_code": tracking, "question_id": "mail-q1", "question": question}).status_code == 202

    def question_mail() -> list[object]:
        return [m for m in answers_to(relay, "plain-1@example.vn") if question in m.get_content()]

    (mailed,) = wait_until(question_mail, 40, "the question by mail")
    assert mailed["To"] == "an.nguyen@example.vn" and tracking in mailed["Subject"]  # type: ignore[index]
    # Exactly as written, every space kept (Python's own folding of encoded words dropped some: pakn.mailheaders).
    expected = CATALOG.messages.text("email", "subject-case_question", tracking_code=tracking)
    assert str(mailed["Subject"]) == f"[{tracking}] {expected}"  # type: ignore[index]
    body = mailed.get_content()  # type: ignore[attr-defined]
    assert re.search(rf"/lookup\?code={tracking}&token=[A-Z2-7]+#question", body), "the reply form's link"
    question_id = str(mailed["Message-ID"]).strip("<>")  # type: ignore[index]

    reply = reply_mail(question_id, str(mailed["Subject"]), "answer-1@example.vn", "Cột thứ ba, bên phải.")  # type: ignore[index]
    code, said = send(port, reply)
    assert code == 250 and said.decode().split()[-1] == tracking, "the answer is acknowledged with the case's code"
    stored = wait_until(lambda: answers_at_store(gateway), 60, "the answer at the case store")
    assert len(stored) == 1
    (delivered,) = stored
    assert delivered["tracking_code"] == tracking and delivered["question_id"] == "mail-q1"
    assert delivered["answer"] == "Cột thứ ba, bên phải.", "the quoted mail and the signature are left out"
    assert delivered["channel"] == "email"
    raw = json.dumps(delivered, ensure_ascii=False)
    assert "an.nguyen" not in raw and "0905" not in raw and "Nguyễn" not in raw

    # The same mail again (a sending server's retry): the same answer, nothing new.
    assert send(port, reply)[0] == 250
    assert gateway.journal("select count(*) from citizen_replies") == [(1,)]
    assert gateway.journal("select count(*) from submissions") == [(1,)]

    def noted() -> list[object]:
        return [m for m in answers_to(relay, "plain-1@example.vn") if "đã được chuyển đến" in m.get_content()]

    assert len(wait_until(noted, 40, "the note that the answer was passed on")) == 1
    assert len(answers_at_store(gateway)) == 1

    # Resolved: the citizen is asked by mail to rate, with the rating page's link (no typed-number hint).
    resolved = {"tracking_code": tracking, "status": "resolved", "update_id": "m-r1", "answer": "Đã sửa đèn."}
    assert ask(gateway, resolved, "updates").status_code == 202

    def rating_mail() -> list[object]:
        return [m for m in answers_to(relay, "plain-1@example.vn") if "có hài lòng" in m.get_content()]

    (asking,) = wait_until(rating_mail, 40, "the request to rate by mail")
    assert "kết quả giải quyết" in str(asking["Subject"])  # type: ignore[index]
    text = asking.get_content()  # type: ignore[attr-defined]
    link = re.search(rf"{gateway.url}/rate/{tracking}\?token=[A-Z2-7]+", text)
    assert link and "trả lời một số" not in text
    with httpx.Client(timeout=20) as client:
        page = client.get(link.group(0))
        assert page.status_code == 200 and 'name="rating"' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        token = link.group(0).rsplit("=", 1)[1]
        form = {"rating": "satisfied", "token": token, "csrf": csrf.group(1)}
        assert client.post(f"{gateway.url}/rate/{tracking}", data=form).status_code == 303
    (rated,) = wait_until(lambda: answers_at_store(gateway, "case_ratings"), 60, "the rating at the case store")
    assert rated["rating"] == "satisfied" and rated["channel"] == "web" and rated["comment"] is None
