"""The Telegram channel's servers: the Bot API stand-in, and a gateway (web + worker + sweeper) in
webhook mode pointed at it, shared by the tests of this package (each test talks in chats of its own).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels.telegram.citizen import SECRET, TOKEN, Citizen, Webhook
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, gateway_env
from tests.standins.telegram_api import TelegramApiStandIn

CHAT_SECRETS = {"zalo": "zalo-oa-secret-1"}


def telegram_env(api: TelegramApiStandIn, **overrides: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.api_base_url,
        "TELEGRAM_FILE_BASE_URL": api.file_base_url,
        "CHATBOT_SWEEP_INTERVAL_SECONDS": "0.3",
        **overrides,
    }


@pytest.fixture(scope="package")
def telegram_api() -> Iterator[TelegramApiStandIn]:
    api = TelegramApiStandIn(TOKEN).start()
    yield api
    api.stop()


@pytest.fixture(scope="package")
def webhook_gateway(tmp_path_factory: pytest.TempPathFactory, telegram_api: TelegramApiStandIn) -> Iterator[Gateway]:
    data_dir: Path = tmp_path_factory.mktemp("telegram-gw")
    port = free_port()
    env = gateway_env(
        data_dir,
        PORT=str(port),
        REDIS_URL=SYSTEM_REDIS,
        CHAT_WEBHOOK_SECRETS=json.dumps(CHAT_SECRETS),
        **telegram_env(
            telegram_api,
            TELEGRAM_SECRET_TOKEN=SECRET,
            TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
        ),
    )
    gateway = Gateway(data_dir, env, port)
    gateway.start_all()
    yield gateway
    gateway.stop()


@pytest.fixture
def citizen(telegram_api: TelegramApiStandIn, webhook_gateway: Gateway) -> Citizen:
    return Citizen(telegram_api, Webhook(webhook_gateway.url))
