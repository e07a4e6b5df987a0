"""The OA's tokens under contention, on SQLite and PostgreSQL: processes that all find the access token
near its expiry refresh it once between them, and the single-use refresh token is never spent twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from channels.zalo.oa import OaClient, TokenStore
from channels.zalo.tables import zalo_tokens
from config.settings import Settings, ZaloSettings
from pakn.db import make_engine
from pakn.migrate import upgrade
from pakn.notify import NotSendable
from tests.channels.zalo.citizen import APP_ID, APP_SECRET_KEY, REFRESH_TOKEN
from tests.standins.zalo_api import ZaloApiStandIn


@pytest.fixture
def api() -> Iterator[ZaloApiStandIn]:
    stand_in = ZaloApiStandIn(APP_ID, APP_SECRET_KEY, REFRESH_TOKEN).start()
    yield stand_in
    stand_in.stop()


def settings_for(journal_url: str, data_dir: Path, api: ZaloApiStandIn, **zalo: object) -> Settings:
    values: dict[str, object] = {
        "app_id": APP_ID,
        "app_secret_key": APP_SECRET_KEY,
        "refresh_token": REFRESH_TOKEN,
        "api_base_url": api.base_url,
        "oauth_base_url": api.base_url,
        **zalo,
    }
    return Settings(pakn_data_dir=data_dir, database_url=journal_url, zalo=ZaloSettings(**values))  # type: ignore[arg-type]


def test_concurrent_callers_refresh_once_and_store_the_rotated_token(
    journal_url: str, tmp_path: Path, api: ZaloApiStandIn
) -> None:
    settings = settings_for(journal_url, tmp_path, api)
    upgrade(settings.journal_url)
    engine = make_engine(settings.journal_url)

    def send(index: int) -> list[str]:
        with httpx.Client(timeout=10) as http:  # one client and store each, as separate processes have
            client = OaClient(settings, TokenStore(engine, settings, http), http)
            return client.send_text("246845883529197922", f"tin nhắn {index}")

    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(send, range(8)))
    assert all(len(ids) == 1 for ids in sent) and len(api.sent) == 8
    assert [r["refresh_token"] for r in api.refreshes] == [REFRESH_TOKEN], "one refresh for all callers"
    assert api.refused == []
    with engine.connect() as conn:
        row = conn.execute(select(zalo_tokens)).one()
    assert row.version == 1 and row.refresh_token in api.valid_refresh and row.access_token in api.live_access_tokens()

    # A second store (a restart) with another refresh token in the settings uses the journal's.
    later = settings_for(journal_url, tmp_path, api, refresh_token="refresh-from-an-old-env-file")
    with httpx.Client(timeout=10) as http:
        assert TokenStore(engine, later, http).current().access_token == row.access_token
    assert len(api.refreshes) == 1


def test_without_a_refresh_token_nothing_can_be_sent(journal_url: str, tmp_path: Path, api: ZaloApiStandIn) -> None:
    settings = settings_for(journal_url, tmp_path, api, refresh_token=None)
    upgrade(settings.journal_url)
    with httpx.Client(timeout=10) as http, pytest.raises(NotSendable):
        TokenStore(make_engine(settings.journal_url), settings, http).current()
    assert api.refreshes == []
