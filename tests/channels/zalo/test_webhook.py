"""/zalo/webhook at the edge: only events Zalo signed for our app, lately, are taken; each only once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from tests.channels.zalo.citizen import OA_SECRET_KEY, ZaloCitizen, event_id, now_ms, post, signed
from tests.channels.zalo.conftest import zalo_env
from tests.conftest import Gateway, wait_until
from tests.standins.zalo_api import ZaloApiStandIn


def stored(gateway: Gateway, key: str) -> int:
    return int(gateway.journal("select count(*) from zalo_events where event_id = ?", key)[0][0])


def test_only_events_signed_with_our_app_id_and_oa_secret_key_are_taken(citizen: ZaloCitizen, gateway: Gateway) -> None:
    event = citizen.event("user_send_text")
    event["message"]["text"] = "Xin chào"
    raw, mac = signed(event)
    key = event_id(event)

    refused = {
        "no signature": post(gateway, raw, None),
        "signed with another key": post(gateway, *signed(event, secret="another-oa-secret-key")),
        "signed for another app": post(gateway, *signed({**event, "app_id": "111"}, app_id="111")),
        "body changed after signing": post(gateway, raw.replace("Xin chào".encode(), b"Xin chao"), mac),
        "mac without its prefix": post(gateway, raw, mac.removeprefix("mac=")),
        "not json": post(gateway, b"{not json", mac),
    }
    for case, response in refused.items():
        assert response.status_code == 403, case
    assert stored(gateway, key) == 0, "nothing refused is stored"

    started = time.monotonic()
    response = post(gateway, raw, mac)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and response.json() == {"ok": True, "duplicate": False}
    assert elapsed < 2.0, f"Zalo waits 2 s for the answer; it took {elapsed:.2f} s"
    assert stored(gateway, key) == 1
    citizen.wait_handled(key)


def test_a_stale_or_future_timestamp_is_refused_even_when_signed(citizen: ZaloCitizen, gateway: Gateway) -> None:
    for shift_ms in (-6 * 60_000, 6 * 60_000):  # ZALO_MAX_EVENT_AGE_SECONDS is 300 by default
        event = citizen.event("user_send_text")
        event["timestamp"] = str(now_ms() + shift_ms)
        response = post(gateway, *signed(event))
        assert response.status_code == 403 and response.json() == {"error": "stale"}
        assert stored(gateway, event_id(event)) == 0
    event = citizen.event("user_send_text")
    event["timestamp"] = str(now_ms() - 60_000)  # a minute late: Zalo retries within minutes
    assert post(gateway, *signed(event)).status_code == 200


def test_a_redelivered_event_is_recognised_and_answered_once(
    citizen: ZaloCitizen, gateway: Gateway, zalo_api: ZaloApiStandIn
) -> None:
    event = citizen.event("user_send_text")
    event["message"]["text"] = "Đèn đường trước nhà số 5 đường Yersin không sáng đã hai đêm, rất nguy hiểm."
    answers = citizen.send(event)
    assert answers and "Sự việc xảy ra ở đâu" in answers[-1]

    again = post(gateway, *signed(event))  # Zalo did not see our 200 and delivers it again
    assert again.status_code == 200 and again.json() == {"ok": True, "duplicate": True}
    time.sleep(1.5)  # several rounds of the gateway's Zalo loop
    assert citizen.texts() == answers, "the second delivery is not answered"
    assert stored(gateway, event_id(event)) == 1
    body = gateway.journal("select body from zalo_events where event_id = ?", event_id(event))[0][0]
    assert body == "", "what the citizen wrote is not kept in the inbox once handled"


def test_follow_is_greeted_and_unfollow_needs_no_answer(citizen: ZaloCitizen) -> None:
    (greeting,) = citizen.follow()
    assert "tra cứu" in greeting and "hủy" in greeting
    assert citizen.send(citizen.event("unfollow")) == []


def test_without_an_oa_secret_key_every_call_is_refused(
    make_gateway: Callable[..., Gateway], zalo_api: ZaloApiStandIn
) -> None:
    gateway = make_gateway(**zalo_env(zalo_api, ZALO_OA_SECRET_KEY=""))
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    gateway.wait_healthy()
    event = ZaloCitizen(zalo_api, gateway).event("user_send_text")
    for secret in (OA_SECRET_KEY, ""):
        response = post(gateway, *signed(event, secret=secret))
        assert response.status_code == 403, json.dumps(response.json())
    wait_until(lambda: stored(gateway, event_id(event)) == 0, 1, "nothing stored")
