"""Console sign-in rules (CSRF, expiry), the operator API, and `pakn hotline import-cdr`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from tests.channels.hotline.conftest import FIXTURES, journal_rows
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.standins.twilio_api import TwilioApiStandIn

PASSWORD = "mot-mat-khau-du-dai"


def add_operator(gateway: Gateway, username: str, role: str = "operator") -> None:
    gateway.pakn(
        "operators", "add", username, "--name", f"Điện thoại viên {username}", "--role", role, "--password-stdin",
        input=f"{PASSWORD}\n".encode(),
    )  # fmt: skip


def signed_in_client(gateway: Gateway, username: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=gateway.url, timeout=10)
    page = client.get("/hotline/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    answer = client.post("/hotline/login", data={"csrf": csrf[1], "username": username, "password": password})
    return client, answer


def form_csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, html
    return found[1]


def test_sign_in_needs_the_right_password_and_forms_need_the_csrf_token(hotline: Gateway) -> None:
    add_operator(hotline, "hung", role="supervisor")
    client, wrong = signed_in_client(hotline, "hung", "not-the-password")
    assert wrong.status_code == 401 and "Sai tên đăng nhập" in wrong.text
    no_cookie = httpx.post(f"{hotline.url}/hotline/login", data={"csrf": "x", "username": "hung", "password": PASSWORD})
    assert no_cookie.status_code == 403
    client, answer = signed_in_client(hotline, "hung")
    assert answer.status_code == 303 and answer.headers["location"] == "/hotline/"
    cookie = next(c for c in client.cookies.jar if c.name == "pakn_hotline_session")
    assert cookie.path == "/hotline" and cookie.has_nonstandard_attr("HttpOnly")
    console = client.get("/hotline/")
    assert console.status_code == 200 and "Điện thoại viên hung (Giám sát viên)" in console.text
    assert "default-src 'self'" in console.headers["content-security-policy"]
    csrf = form_csrf(console.text)
    body = {"content": "Đèn đường hỏng", "outcome": "case", "form_key": "k-csrf-1"}
    assert client.post("/hotline/calls", data=body).status_code == 403
    assert client.post("/hotline/calls", data={**body, "csrf": "forged"}).status_code == 403
    assert client.post("/hotline/findings", json={"content": "abc"}).status_code == 403
    live = client.post(
        "/hotline/findings",
        json={"content": "Cong thoat nuoc truoc nha bi vo, nuoc thai tran ra duong"},
        headers={"x-csrf-token": csrf},
    )
    assert live.status_code == 200 and "no-diacritics" in {f["code"] for f in live.json()["findings"]}
    assert journal_rows(hotline, "select count(*) from submissions where source_id = 'console:k-csrf-1'") == [(0,)]
    client.post("/hotline/logout", data={"csrf": csrf})
    assert client.get("/hotline/").status_code == 303


def test_sessions_expire(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, HOTLINE_SESSION_MINUTES="0")
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    wait_until(lambda: gateway._healthy(), 30, "web")
    add_operator(gateway, "mai")
    client, answer = signed_in_client(gateway, "mai")
    assert answer.status_code == 303
    expired = client.get("/hotline/")
    assert expired.status_code == 303 and expired.headers["location"] == "/hotline/login"


def test_call_centre_software_logs_calls_through_the_operator_api(
    hotline: Gateway, twilio_api: TwilioApiStandIn
) -> None:
    add_operator(hotline, "tongdai")
    token = hotline.pakn("operators", "token", "tongdai").stdout.decode().strip()
    api = f"{hotline.url}/hotline/api/v1"
    call = {
        "call_id": "cc-777",
        "phone": "0905 444 555",
        "name": "Phạm Văn Cường",
        "content": "Cây xanh trước trường học bị gãy đổ chắn ngang đường.",
        "location": "đường Lê Thánh Tôn, phường Nha Trang, tỉnh Khánh Hòa",
        "incident_time": "7h sáng hôm qua",
        "outcome": "case",
    }
    assert httpx.post(f"{api}/calls", json=call, timeout=10).status_code == 401
    assert httpx.post(f"{api}/calls", json=call, headers={"authorization": "Bearer nope"}).status_code == 401
    auth = {"authorization": f"Bearer {token}"}
    first = httpx.post(f"{api}/calls", json=call, headers=auth, timeout=10)
    assert first.status_code == 201, first.text
    again = httpx.post(f"{api}/calls", json=call, headers=auth, timeout=10)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    code = first.json()["tracking_code"]
    assert again.json()["tracking_code"] == code
    live = httpx.post(f"{api}/findings", json={"content": call["content"]}, headers=auth, timeout=10).json()
    assert {"missing-location", "missing-name"} <= {f["code"] for f in live["findings"]}
    assert live["routing"]["agency"] == "Sở Xây dựng" and live["routing"]["level"] == "province"  # no commune
    assert live["routing"]["level_name"] == "Cấp tỉnh" and live["subject"] == "khong_xac_dinh"
    assert isinstance(httpx.get(f"{api}/missed-calls", headers=auth, timeout=10).json(), list)
    # The caller called from a mobile: the acknowledgement SMS carries the tracking code.
    sms = wait_until(lambda: [m for m in twilio_api.sent if code in m.body], 30, "the caller's SMS")
    assert sms[0].to == "+84905444555" and "đã được tiếp nhận" in sms[0].body


def test_the_operator_api_requires_what_the_console_requires(hotline: Gateway) -> None:
    """A ``case`` call with empty content is refused (422 naming the field), as the console refuses it."""
    add_operator(hotline, "tongdai2")
    token = hotline.pakn("operators", "token", "tongdai2").stdout.decode().strip()
    auth = {"authorization": f"Bearer {token}"}
    for content in (None, "", "   "):
        call = {"call_id": f"empty-{content!r}", "phone": "0905 444 556", "outcome": "case", "content": content}
        answer = httpx.post(f"{hotline.url}/hotline/api/v1/calls", json=call, headers=auth, timeout=10)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "content" and "content" in answer.json()["message"]
    rows = journal_rows(hotline, "select count(*) from hotline_calls where call_key like 'api:tongdai2:%'")
    assert rows == [(0,)]
    # A call that is not a case needs no content.
    info = {"call_id": "info-1", "phone": "0905 444 557", "outcome": "information"}
    assert httpx.post(f"{hotline.url}/hotline/api/v1/calls", json=info, headers=auth, timeout=10).status_code == 201


def test_the_console_refuses_a_form_key_too_long_for_the_journal(hotline: Gateway) -> None:
    add_operator(hotline, "khoa-edges")
    client, _ = signed_in_client(hotline, "khoa-edges")
    csrf = form_csrf(client.get("/hotline/").text)
    body = {"content": "Đèn đường hỏng trước số 3 Lê Lợi", "outcome": "case", "csrf": csrf}
    for key in ("k" * 300, "có dấu"):
        answer = client.post("/hotline/calls", data={**body, "form_key": key})
        assert answer.status_code == 422, answer.text
    assert journal_rows(hotline, "select count(*) from hotline_calls where call_key like 'console:kkkk%'") == [(0,)]


def import_cdr(gateway: Gateway, path: Path, *args: str) -> tuple[str, str]:
    result = gateway.pakn("hotline", "import-cdr", str(path), *args)
    return result.stdout.decode(), result.stderr.decode()


def pbx_calls(gateway: Gateway) -> dict[str, tuple[int, str | None]]:
    rows = journal_rows(gateway, "select from_number, missed, outcome from hotline_calls where source = 'pbx'")
    return {number: (missed, outcome) for number, missed, outcome in rows}


def test_pbx_call_records_import_once_and_unlogged_calls_become_missed(hotline: Gateway, tmp_path: Path) -> None:
    out, err = import_cdr(hotline, FIXTURES / "Master.csv")
    assert "đã đọc 5, đã nhập 4, đã nhập từ trước 0, cuộc gọi nhỡ 3" in out, out
    assert "đã gọi lại 1" in out
    assert "đang nhập bản ghi cuộc gọi" in err and "các dòng không đọc được: 5" in err
    calls = pbx_calls(hotline)
    assert calls["+84905222001"] == (1, None)  # nobody answered
    assert calls["+84905222002"] == (1, None)  # answered, but no case or outcome was logged
    assert calls["+84905222003"] == (0, None)  # busy, then called back by extension 201
    out, _ = import_cdr(hotline, FIXTURES / "Master.csv")
    assert "đã nhập 0, đã nhập từ trước 4, cuộc gọi nhỡ 0" in out
    assert pbx_calls(hotline) == calls

    for expected in ("đã nhập 2, đã nhập từ trước 0", "đã nhập 0, đã nhập từ trước 2"):
        out, _ = import_cdr(hotline, FIXTURES / "Master-no-uniqueid.csv")
        assert expected in out
    out, _ = import_cdr(hotline, FIXTURES / "calls-generic.csv")
    assert "đã đọc 2, đã nhập 2" in out and "cuộc gọi nhỡ 2" in out
    ((recording,),) = journal_rows(
        hotline, "select recording_url from hotline_calls where call_key = 'pbx:cc-2024-0001'"
    )
    assert recording == "https://pbx.example.vn/rec/cc-2024-0001.wav"


def test_a_pbx_call_already_logged_by_an_operator_is_not_missed(hotline: Gateway, tmp_path: Path) -> None:
    add_operator(hotline, "thu")
    token = hotline.pakn("operators", "token", "thu").stdout.decode().strip()
    logged = httpx.post(
        f"{hotline.url}/hotline/api/v1/calls",
        json={"call_id": "info-1", "phone": "0905 666 777", "content": "Hỏi giờ làm việc.", "outcome": "information"},
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert logged.status_code == 201 and logged.json()["tracking_code"] is None
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(microsecond=0).isoformat()
    records = tmp_path / "today.csv"
    records.write_text(
        f"call_id,caller,started_at,status\ntoday-1,0905666777,{now},answered\ntoday-2,0905666888,{now},no-answer\n"
    )
    out, _ = import_cdr(hotline, records)
    assert "đã nhập 2" in out and "cuộc gọi nhỡ 1, gắn với cuộc gọi đã ghi 1" in out
    calls = pbx_calls(hotline)
    assert calls["+84905666777"] == (0, "information")
    assert calls["+84905666888"] == (1, None)


def test_a_too_short_password_is_refused(hotline: Gateway) -> None:
    result = hotline.pakn("operators", "add", "x", "--name", "X", "--password-stdin", input=b"short\n", check=False)
    assert result.returncode != 0 and "ít nhất 8 ký tự".encode() in result.stderr
