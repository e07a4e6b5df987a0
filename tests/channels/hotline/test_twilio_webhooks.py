"""Twilio voice and SMS webhooks against the real gateway, signed with the real RequestValidator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from channels.hotline.twilio_hooks import signed_url
from tests.channels.hotline.conftest import (
    AUTH_TOKEN,
    fixture_body,
    journal_rows,
    post_signed,
    sign,
)
from tests.conftest import Gateway, wait_until
from tests.standins.server import LocalServer, QuietHandler
from tests.standins.twilio_api import TwilioApiStandIn

CALL = "CA5f1e2d3c4b5a69788796a5b4c3d2e1f0"  # the CallSid in the fixtures


def calls(gateway: Gateway, call_key: str) -> list[tuple[Any, ...]]:
    return journal_rows(
        gateway,
        "select status, answered, missed, recording_sid, recording_url, from_number, duration_seconds "
        "from hotline_calls where call_key = ?",
        call_key,
    )


def test_a_call_no_operator_takes_becomes_one_missed_call_with_its_recording(hotline: Gateway) -> None:
    voice = post_signed(hotline, "/hotline/twilio/voice", fixture_body("voice_incoming"))
    assert voice.status_code == 200, voice.text
    assert voice.headers["content-type"].startswith("application/xml")
    twiml = voice.text
    assert '<Say language="vi-VN">Đường dây nóng' in twiml
    assert "<Record" in twiml and 'recordingStatusCallback="voice/recording"' in twiml
    assert calls(hotline, CALL) == [("ringing", 0, 0, None, None, "+84905123456", None)]

    # Twilio retries a webhook it thinks failed: the same CallSid again changes nothing.
    assert post_signed(hotline, "/hotline/twilio/voice", fixture_body("voice_incoming")).status_code == 200
    no_answer = post_signed(hotline, "/hotline/twilio/voice/dial", fixture_body("voice_dial_no_answer"))
    assert "<Record" in no_answer.text
    done = post_signed(hotline, "/hotline/twilio/voice/recorded", fixture_body("voice_recorded"))
    assert "<Hangup" in done.text and 'language="vi-VN"' in done.text
    assert (
        post_signed(hotline, "/hotline/twilio/voice/recording", fixture_body("voice_recording_completed")).status_code
        == 204
    )
    assert (
        post_signed(hotline, "/hotline/twilio/voice/status", fixture_body("voice_status_completed")).status_code == 204
    )
    # A late "ringing" status after the end never moves the call back.
    late = fixture_body("voice_status_completed", CallStatus="ringing", CallDuration="")
    assert post_signed(hotline, "/hotline/twilio/voice/status", late).status_code == 204

    ((status, answered, missed, recording_sid, recording_url, number, duration),) = calls(hotline, CALL)
    assert (status, answered, missed, number, duration) == ("completed", 0, 1, "+84905123456", 48)
    assert recording_sid == "RE9a8b7c6d5e4f30211203f4e5d6c7b8a9"
    assert recording_url.endswith("/Recordings/RE9a8b7c6d5e4f30211203f4e5d6c7b8a9")
    no_case = "select submission_id, outcome from hotline_calls where call_key = ?"
    assert journal_rows(hotline, no_case, CALL) == [(None, None)], "a message is a call-back, not a case"


def test_out_of_order_callbacks_update_the_same_call(hotline: Gateway) -> None:
    sid = "CA" + "7" * 32
    recording = fixture_body("voice_recording_completed", CallSid=sid)
    status = fixture_body("voice_status_completed", CallSid=sid, CallDuration="31")
    incoming = fixture_body("voice_incoming", CallSid=sid)
    for path, body in (("voice/recording", recording), ("voice/status", status), ("voice", incoming)):
        response = post_signed(hotline, f"/hotline/twilio/{path}", body)
        assert response.status_code in (200, 204), response.text
    post_signed(hotline, "/hotline/twilio/voice/recording", recording)  # and a replay
    ((state, answered, missed, recording_sid, _url, number, duration),) = calls(hotline, sid)
    assert (state, answered, missed, recording_sid, number, duration) == (
        "completed",
        0,
        1,
        "RE9a8b7c6d5e4f30211203f4e5d6c7b8a9",
        "+84905123456",
        31,
    )


def test_a_call_an_operator_answered_is_not_missed(hotline: Gateway) -> None:
    sid = "CA" + "8" * 32
    post_signed(hotline, "/hotline/twilio/voice", fixture_body("voice_incoming", CallSid=sid))
    answered = fixture_body("voice_dial_no_answer", CallSid=sid, DialCallStatus="completed", DialCallDuration="95")
    assert "<Hangup" in post_signed(hotline, "/hotline/twilio/voice/dial", answered).text
    post_signed(hotline, "/hotline/twilio/voice/status", fixture_body("voice_status_completed", CallSid=sid))
    ((state, was_answered, missed, *_rest),) = calls(hotline, sid)
    assert (state, was_answered, missed) == ("completed", 1, 0)


def test_unsigned_or_wrongly_signed_requests_get_403_and_are_logged(hotline: Gateway) -> None:
    body = fixture_body("sms_complete", MessageSid="SM" + "f" * 32, SmsSid="SM" + "f" * 32)
    url = f"{hotline.url}/hotline/twilio/sms"
    form = {"content-type": "application/x-www-form-urlencoded"}
    attempts = {
        "unsigned": httpx.post(url, content=body, headers=form, timeout=10),
        "other token": post_signed(hotline, "/hotline/twilio/sms", body, token="not-the-auth-token-at-all"),
        "other URL": post_signed(
            hotline, "/hotline/twilio/sms", body, signed_url="https://evil.example/hotline/twilio/sms"
        ),
        "tampered body": httpx.post(
            url,
            content=body.replace(b"Nguy%E1%BB%85n", b"Tr%E1%BA%A7n"),
            headers={**form, "x-twilio-signature": sign(url, body)},
            timeout=10,
        ),
        "voice unsigned": httpx.post(
            f"{hotline.url}/hotline/twilio/voice", content=fixture_body("voice_incoming"), headers=form
        ),
    }
    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 403)
    assert journal_rows(hotline, "select count(*) from submissions where source_id = ?", "SM" + "f" * 32) == [(0,)]
    log = wait_until(lambda: (text := hotline.log("web")).count("refused") >= 5 and text, 10, "refusals logged")
    assert "no X-Twilio-Signature" in log and "wrong signature" in log
    assert "Nguyễn" not in log and "0905123456" not in log and "+84905123456" not in log


def test_sms_becomes_one_submission_and_the_answer_sms_carries_the_code_or_what_is_missing(
    hotline: Gateway, twilio_api: TwilioApiStandIn
) -> None:
    complete, incomplete = fixture_body("sms_complete"), fixture_body("sms_incomplete")
    for body in (complete, complete, incomplete):  # the first one twice: a Twilio retry
        response = post_signed(hotline, "/hotline/twilio/sms", body)
        assert response.status_code == 200, response.text
        assert response.text.strip().endswith("<Response />")
    sids = ["SM" + "a1" * 16, "SM" + "b2" * 16]  # this test's own (the gateway is shared with other SMS tests)
    rows = journal_rows(
        hotline,
        "select source_id, tracking_code, raw from submissions where channel = 'sms' and source_id in (?, ?) "
        "order by id",
        *sids,
    )
    assert [r[0] for r in rows] == sids
    assert rows[0][2] == complete, "the raw body is journaled byte for byte"
    code_complete, code_incomplete = rows[0][1], rows[1][1]

    def texts() -> list[str]:
        return [m.body for m in twilio_api.sent if code_complete in m.body or code_incomplete in m.body]

    wait_until(lambda: len(texts()) >= 2, 30, "two answer SMS at the Twilio stand-in")
    time.sleep(1.0)  # a duplicate would arrive now
    answers = {code: [m for m in twilio_api.sent if code in m.body] for code in (code_complete, code_incomplete)}
    assert [len(found) for found in answers.values()] == [1, 1]
    accepted, missing = answers[code_complete][0], answers[code_incomplete][0]
    assert accepted.to == missing.to == "+84905123456"
    assert accepted.from_ == "+842583822222"
    assert "đã được tiếp nhận" in accepted.body
    assert "cần bổ sung" in missing.body and "địa điểm" in missing.body and "họ và tên" in missing.body
    assert twilio_api.requests >= 3, "the stand-in's first answer was a 500: the outbox retried"


class ReverseProxy(LocalServer):
    """A plain reverse proxy in front of the gateway, as nginx would be: public https on a non-default
    port, forwarded over http with X-Forwarded-Proto/Host(/Port); the body is passed on byte for byte."""

    def __init__(self, upstream: str, headers: dict[str, str]) -> None:
        proxy = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.body()
                passed = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.post(upstream + self.path, content=body, headers={**passed, **proxy.headers}, timeout=10)
                self.reply(answer.status_code, answer.content, content_type=None)

        self.headers = headers
        self.serve(Handler)
        self.start()

    @property
    def url(self) -> str:
        return self.base_url


@pytest.fixture
def proxies(hotline: Gateway) -> Iterator[list[ReverseProxy]]:
    made = [
        ReverseProxy(hotline.url, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.vn:8443"}),
        ReverseProxy(
            hotline.url,
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.vn", "X-Forwarded-Port": "8443"},
        ),
    ]
    yield made
    for proxy in made:
        proxy.stop()


def test_signatures_check_out_behind_a_reverse_proxy_on_a_non_default_port(
    hotline: Gateway, proxies: list[ReverseProxy]
) -> None:
    public = "https://hotline.example.vn:8443/hotline/twilio/sms?source=proxy"
    for index, proxy in enumerate(proxies):
        sid = f"SM{index}" + "c" * 31
        # A number of its own: another SMS from a number whose submission waits for information completes it.
        body = fixture_body("sms_incomplete", MessageSid=sid, SmsSid=sid, From=f"+8490900000{index}")
        headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sign(public, body)}
        through = httpx.post(f"{proxy.url}/hotline/twilio/sms?source=proxy", content=body, headers=headers, timeout=10)
        assert through.status_code == 200, (index, through.text)
        inner = {**headers, "x-twilio-signature": sign(f"{hotline.url}/hotline/twilio/sms?source=proxy", body)}
        wrong = httpx.post(f"{proxy.url}/hotline/twilio/sms?source=proxy", content=body, headers=inner, timeout=10)
        assert wrong.status_code == 403, "signed for the inner URL, not the public one"
        assert journal_rows(hotline, "select count(*) from submissions where source_id = ?", sid) == [(1,)]


def _request(path: str, query: bytes, headers: dict[str, str], scheme: str = "http") -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": scheme,
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "server": ("127.0.0.1", 8000),
        }
    )


def test_the_url_twilio_signed_is_rebuilt_as_twilio_saw_it() -> None:
    path = "/hotline/twilio/sms"
    direct = _request(path, b"", {"host": "127.0.0.1:8000"})
    assert signed_url(direct, None) == "http://127.0.0.1:8000/hotline/twilio/sms"
    proxied = _request(
        path,
        b"a=%C4%91&b=1",
        {"host": "10.0.0.5:8000", "x-forwarded-proto": "https", "x-forwarded-host": "pakn.gov.vn"},
    )
    assert signed_url(proxied, None) == "https://pakn.gov.vn/hotline/twilio/sms?a=%C4%91&b=1"
    chained = _request(
        path,
        b"",
        {
            "host": "x",
            "x-forwarded-proto": "https, http",
            "x-forwarded-host": "pakn.gov.vn, lb",
            "x-forwarded-port": "8443",
        },
    )
    assert signed_url(chained, None) == "https://pakn.gov.vn:8443/hotline/twilio/sms"
    default_port = _request(
        path,
        b"",
        {"host": "x", "x-forwarded-proto": "https", "x-forwarded-host": "pakn.gov.vn", "x-forwarded-port": "443"},
    )
    assert signed_url(default_port, None) == "https://pakn.gov.vn/hotline/twilio/sms"
    configured = _request(path, b"x=1", {"host": "internal:8000", "x-forwarded-host": "ignored.example"})
    assert signed_url(configured, "https://pakn.gov.vn:8443/") == "https://pakn.gov.vn:8443/hotline/twilio/sms?x=1"
    # Twilio may sign with or without the default port: both verify.
    body = {"Body": "Xin chào, tôi muốn phản ánh", "From": "+84905123456", "FromCity": ""}
    signature = RequestValidator(AUTH_TOKEN).compute_signature("https://pakn.gov.vn:443/hotline/twilio/sms", body)
    assert RequestValidator(AUTH_TOKEN).validate("https://pakn.gov.vn/hotline/twilio/sms", body, signature)
