"""The OA's tokens and replies: refreshed before they expire, the rotated refresh token kept in the
journal (not in the settings), and replies retried with backoff when the OA API fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.channels.zalo.citizen import APP_ID, APP_SECRET_KEY, REFRESH_TOKEN, ZaloCitizen
from tests.channels.zalo.conftest import zalo_env
from tests.conftest import Gateway
from tests.standins.zalo_api import ZaloApiStandIn

ASK_CONTENT = "mô tả sự việc"


@pytest.fixture
def short_lived_api() -> Iterator[ZaloApiStandIn]:
    """Access tokens valid 606 s: within the gateway's 600 s margin six seconds after they are issued."""
    api = ZaloApiStandIn(APP_ID, APP_SECRET_KEY, REFRESH_TOKEN, expires_in=606).start()
    yield api
    api.stop()


def stored_tokens(gateway: Gateway) -> tuple[str, str, int]:
    ((access, refresh, version),) = gateway.journal("select access_token, refresh_token, version from zalo_tokens")
    return str(access), str(refresh), int(version)


def test_the_access_token_is_refreshed_before_it_expires_and_the_rotated_refresh_token_is_kept(
    make_gateway: Callable[..., Gateway], short_lived_api: ZaloApiStandIn
) -> None:
    api = short_lived_api
    gateway = make_gateway(**zalo_env(api, ZALO_TOKEN_REFRESH_MARGIN_SECONDS="600"))
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    gateway.wait_healthy()
    citizen = ZaloCitizen(api, gateway)

    assert ASK_CONTENT in citizen.say("Xin chào")[-1]
    assert [r["refresh_token"] for r in api.refreshes] == [REFRESH_TOKEN], "the first start uses the setting, once"
    first_access, first_refresh, version = stored_tokens(gateway)
    assert version == 1 and first_refresh != REFRESH_TOKEN and first_refresh in api.valid_refresh
    assert first_access in api.live_access_tokens()

    assert ASK_CONTENT in citizen.say("Xin chào")[-1]
    assert len(api.refreshes) == 1, "a token far from its expiry is used as it is"

    time.sleep(6.5)  # now within the margin, still valid at Zalo
    assert first_access in api.live_access_tokens()
    assert ASK_CONTENT in citizen.say("Xin chào")[-1]
    assert [r["refresh_token"] for r in api.refreshes] == [REFRESH_TOKEN, first_refresh], "rotated token spent"
    assert api.refused == [], "refreshed before Zalo refused anything"
    second_access, second_refresh, version = stored_tokens(gateway)
    assert version == 2 and second_access != first_access and second_refresh not in (first_refresh, REFRESH_TOKEN)
    assert second_refresh in api.valid_refresh and first_refresh not in api.valid_refresh

    # A restart reads the tokens from the journal: the setting's (spent) refresh token is not used again.
    gateway.stop()
    gateway.start("web", "web")
    gateway.wait_healthy()
    assert ASK_CONTENT in citizen.say("Xin chào")[-1]
    assert REFRESH_TOKEN not in [r["refresh_token"] for r in api.refreshes[1:]]
    assert "refresh token" not in api.refused


def test_a_reply_the_oa_api_fails_is_retried_with_backoff(citizen: ZaloCitizen, zalo_api: ZaloApiStandIn) -> None:
    zalo_api.fail_next_sends = 2
    started = time.monotonic()
    answers = citizen.say("Xin chào")
    assert zalo_api.fail_next_sends == 0 and ASK_CONTENT in answers[-1]
    assert time.monotonic() - started >= 1.4, "waited 0.5 s, then 1 s, between the tries"


def test_a_token_zalo_revoked_early_is_renewed_and_the_reply_sent(
    citizen: ZaloCitizen, zalo_api: ZaloApiStandIn, gateway: Gateway
) -> None:
    assert ASK_CONTENT in citizen.say("Xin chào")[-1]
    access, _, version = stored_tokens(gateway)
    zalo_api.revoke(access)
    assert ASK_CONTENT in citizen.say("Xin chào")[-1]
    assert zalo_api.refused[-1] == "access token"
    assert stored_tokens(gateway)[2] == version + 1
