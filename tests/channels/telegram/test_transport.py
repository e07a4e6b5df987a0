"""How updates reach the bot: the webhook's secret token, repeated deliveries, polling mode across a
restart of the bot process (SIGKILL mid-conversation), and the idle timeout.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.channels.telegram.citizen import SECRET, Citizen, Polling, fixture
from tests.channels.telegram.conftest import telegram_env
from tests.conftest import Gateway, RedisServer, free_port, gateway_env, wait_until
from tests.standins.telegram_api import TelegramApiStandIn

CODE = re.compile(r"PAKN-[0-9A-Z]{4}-[0-9A-Z]{4}")


def test_a_webhook_call_without_the_secret_token_is_refused(
    citizen: Citizen, webhook_gateway: Gateway, telegram_api: TelegramApiStandIn
) -> None:
    update = fixture("message_text")
    update["update_id"] = 42
    update["message"]["chat"]["id"] = update["message"]["from"]["id"] = citizen.chat_id
    url = f"{webhook_gateway.url}/telegram/webhook"
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}, {"X-Telegram-Bot-Api-Secret-Token": ""}):
        assert httpx.post(url, json=update, headers=headers, timeout=10).status_code == 403
    assert citizen.texts() == [], "nothing was handled"
    wrong = httpx.post(url, content=b"not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10)
    assert wrong.status_code == 400


def test_a_repeated_update_is_handled_once(citizen: Citizen) -> None:
    citizen.command("/phananh")
    first = citizen.say("Cống thoát nước bị tắc nghẽn, nước ngập nửa mét mỗi khi trời mưa to.")
    assert "Sự việc xảy ra ở đâu" in first[-1]
    again = citizen.send(citizen.last_update)
    assert again == [], "Telegram delivering the same update again changes nothing"
    assert "Sự việc xảy ra lúc nào" in citizen.say("trước chợ Đầm, phường Nha Trang")[-1]


def test_other_updates_are_recorded_and_not_answered_as_submissions(citizen: Citizen) -> None:
    edited = fixture("edited_message")
    edited["update_id"] = 10_000_000 + citizen.chat_id
    edited["edited_message"]["chat"]["id"] = citizen.chat_id
    assert citizen.send(edited) == []
    group = fixture("group_message")
    group["update_id"] = 10_000_001 + citizen.chat_id
    group["message"]["from"]["id"] = citizen.chat_id
    citizen.send(group)
    assert citizen.api.messages_to(group["message"]["chat"]["id"])[-1]["text"].startswith("Xin vui lòng nhắn riêng")


@pytest.fixture
def polling_bot(
    tmp_path: Path, telegram_api: TelegramApiStandIn, own_redis: RedisServer
) -> Iterator[Callable[..., Gateway]]:
    """`pakn telegram` (long polling) on a fresh journal; no web process involved."""
    made: list[Gateway] = []

    def make(**overrides: str) -> Gateway:
        data_dir = tmp_path / f"bot{len(made)}"
        data_dir.mkdir()
        env = gateway_env(data_dir, PORT=str(free_port()), REDIS_URL=own_redis.url, **telegram_env(telegram_api))
        env.update(overrides)
        bot = Gateway(data_dir, env, 0)
        bot.pakn("db", "upgrade")
        bot.start("telegram", "telegram")
        made.append(bot)
        return bot

    yield make
    for bot in made:
        bot.stop()


def test_polling_survives_a_restart_mid_conversation_and_ignores_a_redelivery(
    polling_bot: Callable[..., Gateway], telegram_api: TelegramApiStandIn
) -> None:
    bot = polling_bot()
    citizen = Citizen(telegram_api, Polling(telegram_api))
    citizen.command("/phananh", until="mô tả sự việc")
    citizen.say("Cây xanh bị gãy đổ chắn ngang lối đi, xe máy không qua được.", until="ở đâu")
    citizen.say("đường Yersin, phường Nha Trang", until="lúc nào")
    citizen.say("tối qua", until="họ và tên")
    answered = len(citizen.texts())

    bot.kill("telegram")  # SIGKILL: no clean shutdown, the offset of the last update never confirmed
    citizen.say("Lê Văn Cường")  # arrives while the bot is down
    bot.start("telegram", "telegram")
    # The killed bot may have held the chat's lock (channels.telegram.order): freed after LOCK_SECONDS.
    wait_until(lambda: any("số điện thoại" in t for t in citizen.texts()[answered:]), 60, "the bot to continue")
    # The same update delivered twice in a row (Telegram retrying): one answer only.
    before = len(citizen.texts())
    contact = fixture("contact")
    contact["update_id"] = 900_000_000 + citizen.chat_id % 1000
    contact["message"]["chat"]["id"] = contact["message"]["from"]["id"] = citizen.chat_id
    contact["message"]["contact"]["user_id"] = citizen.chat_id
    telegram_api.push_update(contact)
    telegram_api.push_update(json.loads(json.dumps(contact)))
    wait_until(lambda: any("Xin kiểm tra lại" in t for t in citizen.texts()[before:]), 20, "the summary")
    (code,) = set(CODE.findall(citizen.press("Gửi phản ánh", until="Mã tra cứu")[-1]))
    assert sum("Xin kiểm tra lại" in t for t in citizen.texts()[before:]) == 1, "the repeat was ignored"
    assert sum("họ và tên" in t for t in citizen.texts()) == 1, "no question asked twice after the restart"

    with sqlite3.connect(bot.data_dir / "journal.db") as conn:
        rows = conn.execute("select tracking_code, raw from submissions").fetchall()
    assert [r[0] for r in rows] == [code]
    fields = json.loads(rows[0][1])["fields"]
    assert fields["name"] == "Lê Văn Cường" and fields["location"] == "đường Yersin, phường Nha Trang"


def test_an_idle_conversation_times_out_with_a_message(
    polling_bot: Callable[..., Gateway], telegram_api: TelegramApiStandIn
) -> None:
    polling_bot(CHATBOT_IDLE_TIMEOUT_SECONDS="4")
    citizen = Citizen(telegram_api, Polling(telegram_api))
    citizen.command("/phananh", until="mô tả sự việc")
    wait_until(lambda: any("đã được hủy vì quá" in t for t in citizen.texts()), 30, "the timeout message")
    answers = citizen.say("Đèn đường trước nhà số 12 không sáng đã ba đêm, rất nguy hiểm.", until="ở đâu")
    assert not any("hủy" in t for t in answers), "a new message starts a new submission"
