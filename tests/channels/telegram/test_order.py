"""A chat reads its messages in order: status pushes from several workers and `/tracuu` answers from the
bot, sent at the same time, never show an older status after a newer one (channels/telegram/order.py).

A gateway with three workers in webhook mode; the Bot API stand-in takes a random 0-80 ms over each
sendMessage, as the network does, so messages sent at about the same time by different processes would
reach the chat in either order.  The case store reports its progress on three cases while their citizens
ask for the status again and again; the order the stand-in received is what each citizen read.
"""

from __future__ import annotations

import json
import re
import threading
import time
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from redis import Redis

from channels.telegram.order import LOCK_SECONDS, chat_lock, release
from channels.telegram.payload import CONTENT_TYPE, build_payload
from config.settings import get_settings
from dispatcher.sinks import sign
from pakn.db import make_engine, utcnow
from pakn.journal import Journal
from pakn.records import Channel, RawSubmission
from tests.channels.telegram.citizen import SECRET, Citizen, Webhook
from tests.channels.telegram.conftest import telegram_env
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.standins.telegram_api import TelegramApiStandIn

CASE_STORE_SECRET = "callback-secret-order-42"
MESSAGES = tomllib.loads((get_settings().data_dir / "messages.vi.toml").read_text())
STATUS_TEXTS = {text: status for status, text in MESSAGES["status"].items()}
LOOKUP = re.compile(r"^Phản ánh mã (PAKN-[0-9A-Z]{4}-[0-9A-Z]{4}): (.+)\.$")
# How far a case has come, as the citizen reads it: a chat must never go back on this scale.
PROGRESS = ["accepted", "forwarded", "in_progress", "resolved"]
STATUS_OF_KIND = {
    "accepted": "accepted",
    "forwarded": "forwarded",
    "case-received": "forwarded",
    "case-in_progress": "in_progress",
    "case-resolved": "resolved",
}
LOOKUPS = 6
CASES = [
    ("Nắp hố ga trước cổng trường tiểu học Lộc Thọ bị vỡ, học sinh đi ngang qua rất dễ bị sụp chân.", "0912765401"),
    ("Cây xanh trên đường Yersin bị nghiêng sau cơn bão, có nguy cơ đổ xuống lòng đường.", "0912765402"),
    ("Rác thải đổ trộm ở bãi đất trống cuối đường Nguyễn Thiện Thuật bốc mùi hôi thối nhiều ngày.", "0912765403"),
]


def case_update(gateway: Gateway, code: str, status: str, update_id: str, answer: str | None = None) -> None:
    body = json.dumps({"tracking_code": code, "status": status, "update_id": update_id, "answer": answer}).encode()
    headers = {
        "X-PAKN-Signature": sign(CASE_STORE_SECRET.encode(), int(time.time()), body),
        "content-type": "application/json",
    }
    response = httpx.post(f"{gateway.url}/api/v1/case-store/updates", content=body, headers=headers, timeout=30)
    assert response.status_code == 202, response.text


def pushes_of(gateway: Gateway, code: str) -> list[tuple[str, str, object]]:
    """(kind, message, sent_at) of each message the outbox holds for a case, in journal order."""
    return [
        (kind, message, sent_at)
        for kind, message, sent_at in gateway.journal(
            "select n.kind, n.message, n.sent_at from notifications n join submissions s on s.id = n.submission_id"
            " where s.tracking_code = ? order by n.id",
            code,
        )
    ]


def test_pushes_from_several_workers_and_lookups_reach_each_chat_in_order(
    make_gateway: Callable[..., Gateway], telegram_api: TelegramApiStandIn
) -> None:
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        CASE_STORE_SECRET=CASE_STORE_SECRET,
        **telegram_env(telegram_api, TELEGRAM_SECRET_TOKEN=SECRET),
    )
    gateway.env["TELEGRAM_WEBHOOK_URL"] = f"{gateway.url}/telegram/webhook"
    gateway.start_all(workers=3)
    journal = Journal(make_engine(f"sqlite:///{Path(gateway.data_dir) / 'journal.db'}"))
    citizens = [Citizen(telegram_api, Webhook(gateway.url)) for _ in CASES]
    codes = []
    for citizen, (content, phone) in zip(citizens, CASES, strict=True):
        answers = {
            "content": content,
            "location": "số 12 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
            "incident_time": "tối qua lúc 21h",
            "name": "Trần Thị Bình",
            "phone": phone,
        }
        payload = build_payload(
            chat_id=citizen.chat_id,
            user_id=citizen.chat_id,
            conversation_id="c1",
            confirmed_update_id=1,
            started_at=utcnow().isoformat(),
            answers=answers,
            pin=None,
            attachments=[],
        )
        (receipt,) = journal.intake.record(
            [RawSubmission(Channel.TELEGRAM, f"{citizen.chat_id}:c1", payload, CONTENT_TYPE, utcnow())]
        )
        codes.append(receipt.tracking_code)
        gateway.pakn("replay", receipt.tracking_code)
    for citizen, code in zip(citizens, codes, strict=True):
        wait_until(lambda c=citizen, k=code: any(k in t for t in c.texts()), 60, "the verdict pushed")
        wait_until(lambda k=code: journal.reading.get_by_code(k).status.value == "forwarded", 60, "forwarded")  # type: ignore[union-attr]

    telegram_api.send_latency = (0.0, 0.08)
    errors: list[BaseException] = []

    def progress(code: str) -> None:
        updates = [("received", None), ("in_progress", None), ("in_progress", None), ("resolved", "Đã thay mới.")]
        for index, (status, answer) in enumerate(updates):
            case_update(gateway, code, status, f"u{index}", answer)
            time.sleep(0.05)

    def ask(citizen: Citizen, code: str) -> None:
        for _ in range(LOOKUPS):
            citizen.command(f"/tracuu {code}")
            time.sleep(0.03)

    def run(target: Callable[..., None], *args: object) -> threading.Thread:
        def guarded() -> None:
            try:
                target(*args)
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=guarded)
        thread.start()
        return thread

    try:
        threads = [run(progress, code) for code in codes] + [
            run(ask, citizen, code) for citizen, code in zip(citizens, codes, strict=True)
        ]
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        for code in codes:
            wait_until(lambda k=code: all(sent for _, _, sent in pushes_of(gateway, k)), 60, "every push sent")
    finally:
        telegram_api.send_latency = None

    for citizen, code in zip(citizens, codes, strict=True):
        pushes = pushes_of(gateway, code)
        assert [kind for kind, _, _ in pushes] == [
            "accepted",
            "case-received",
            "case-in_progress",
            "case-in_progress",
            "case-resolved",
            "rating-request",  # the first `resolved` asks, once, for a rating (tests/channels/telegram/test_loop.py)
        ]
        pushes = [push for push in pushes if push[0] in STATUS_OF_KIND]  # the statuses, whose order is checked
        status_of_message = {message: STATUS_OF_KIND[kind] for kind, message, _ in pushes}
        read: list[tuple[str, str]] = []  # (push | lookup, status) in the order the chat shows them
        for text in citizen.texts():
            if text in status_of_message:
                read.append(("push", status_of_message[text]))
            elif match := LOOKUP.match(text):
                assert match.group(1) == code
                read.append(("lookup", STATUS_TEXTS[match.group(2)]))
        pushed = [text for text in citizen.texts() if text in status_of_message]
        assert pushed == [message for _, message, _ in pushes], "each push once, in journal order"
        assert sum(1 for kind, _ in read if kind == "lookup") == LOOKUPS
        levels = [PROGRESS.index(status) for _, status in read]
        assert levels == sorted(levels), f"chat {citizen.chat_id} went back: {read}"


def test_a_chat_has_one_sender_at_a_time_and_the_bot_frees_it_from_another_thread() -> None:
    """The bot takes the lock in one thread and frees it in another (asyncio.to_thread): a thread-local
    lock would stay held, and hold every later message of the chat for its whole timeout."""
    connection = Redis.from_url(SYSTEM_REDIS)
    prefix = f"t-order-{uuid.uuid4().hex[:8]}"
    first = chat_lock(connection, prefix, 42)
    assert first.acquire()
    assert not chat_lock(connection, prefix, 42).acquire(blocking_timeout=0.2), "one holder at a time"
    assert chat_lock(connection, prefix, 43).acquire(blocking_timeout=0.2), "other chats are not held up"
    assert 0 < connection.pttl(f"{prefix}:telegram-chat:42") <= LOCK_SECONDS * 1000, "freed by timeout if left"
    releaser = threading.Thread(target=release, args=(first,))
    releaser.start()
    releaser.join()
    assert chat_lock(connection, prefix, 42).acquire(blocking_timeout=0.2), "free again"
    connection.delete(f"{prefix}:telegram-chat:42", f"{prefix}:telegram-chat:43")
