"""The week's summary for leaders, end to end: two sweepers whose SUMMARY_WEEKDAY/SUMMARY_TIME are already past
this week send it once (the mail with its inline charts and the XLSX, the Telegram and Zalo texts); `pakn summary`
prints the figures, refuses to send a sent week again without --again, and sends it again with it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from tests.channels.zalo.citizen import APP_ID, APP_SECRET_KEY, REFRESH_TOKEN
from tests.channels.zalo.conftest import zalo_env
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, wait_until
from tests.samples import submission
from tests.standins.smtp_relay import SmtpRelayStandIn
from tests.standins.telegram_api import TelegramApiStandIn
from tests.standins.zalo_api import ZaloApiStandIn

TOKEN = "123456789:AAE-summary-token"
LEADER = "lanhdao@khanhhoa.gov.vn"
CHAT = 5151
ZALO_LEADER = "zalo-lanh-dao-1"


@pytest.fixture
def relay() -> Iterator[SmtpRelayStandIn]:
    stand_in = SmtpRelayStandIn(free_port()).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def telegram_api() -> Iterator[TelegramApiStandIn]:
    api = TelegramApiStandIn(TOKEN).start()
    yield api
    api.stop()


@pytest.fixture
def zalo_api() -> Iterator[ZaloApiStandIn]:
    api = ZaloApiStandIn(APP_ID, APP_SECRET_KEY, REFRESH_TOKEN).start()
    yield api
    api.stop()


def status(gateway: Gateway, code: str) -> str:
    return str(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json()["status"])


def summaries(relay: SmtpRelayStandIn) -> list[EmailMessage]:
    return [m for m in relay.messages() if LEADER in (m["To"] or "")]


def test_the_week_summary_goes_out_once_and_can_be_shown_and_sent_by_hand(
    make_gateway: Callable[..., Gateway],
    relay: SmtpRelayStandIn,
    telegram_api: TelegramApiStandIn,
    zalo_api: ZaloApiStandIn,
) -> None:
    local = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    year, number, weekday = local.isocalendar()
    week = f"{year}-W{number:02d}"
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(relay.port),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram_api.api_base_url,
        TELEGRAM_FILE_BASE_URL=telegram_api.file_base_url,
        SUMMARY_WEEKDAY=str(weekday),  # today, from midnight: the send time of this week has passed
        SUMMARY_TIME="00:00",
        SUMMARY_EMAILS=f"{LEADER.upper()}",
        SUMMARY_TELEGRAM_CHATS=str(CHAT),
        SUMMARY_ZALO_USERS=ZALO_LEADER,
        **zalo_env(zalo_api),
    )
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    gateway.start("worker0", "worker")
    gateway.wait_healthy()
    codes = [
        httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10).json()["tracking_code"]
        for body in (submission(1), submission(2), submission(3, location="phố Hàng Bài, quận Hoàn Kiếm, Hà Nội"))
    ]
    for code, outcome in zip(codes, ("forwarded", "forwarded", "rejected"), strict=True):
        wait_until(lambda code=code, outcome=outcome: status(gateway, code) == outcome, 40, f"{code} {outcome}")

    printed = gateway.pakn("summary", "--week", week).stdout.decode()
    assert week in printed
    for line in ("Tiếp nhận: 3 (tuần trước: 0)", "Đủ điều kiện tiếp nhận: 2", "Không đủ điều kiện tiếp nhận: 1",
                 "Đã chuyển cơ quan có thẩm quyền: 2", "Ứng dụng di động / API 3"):  # fmt: skip
        assert line in printed, (line, printed)
    assert not summaries(relay), "shown, not sent"

    gateway.start("sweeper", "sweeper")
    gateway.start("sweeper2", "sweeper")  # two sweepers at once: still one summary
    (mail,) = wait_until(lambda: summaries(relay), 60, "the week's summary mail")
    wait_until(lambda: gateway.journal("select state from summary_weeks") == [("sent",)], 30, "the week sent")
    assert week in str(mail["Subject"])
    html = mail.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert "Tuần này" in content and "Tuần trước" in content
    cids = re.findall(r"src='cid:([^']+)'", content)
    images = [p for p in mail.walk() if p.get_content_type() == "image/svg+xml"]
    assert len(images) == 2 and {str(p["Content-ID"]).strip("<>") for p in images} == set(cids)
    assert all(p.get_content_disposition() == "inline" for p in images)
    assert b"<svg" in images[0].get_content() and b"rect" in images[0].get_content()
    (xlsx,) = [p for p in mail.iter_attachments() if str(p.get_filename()).endswith(".xlsx")]
    book = load_workbook(io.BytesIO(xlsx.get_content()))
    figures = {row[2]: row[1] for row in book.worksheets[0].iter_rows(min_row=6, values_only=True)}
    assert figures["received"] == 3 and figures["eligible"] == 2, figures

    (text,) = wait_until(lambda: telegram_api.messages_to(CHAT), 30, "the Telegram summary")
    assert week in text["text"] and "Tiếp nhận: 3 (tuần trước: 0)" in text["text"]
    (zalo_text,) = wait_until(lambda: zalo_api.messages_to(ZALO_LEADER), 30, "the Zalo summary")
    assert zalo_text == text["text"]

    # A restart, and a hand send without --again: the week stays sent once.
    gateway.kill("sweeper")
    gateway.start("sweeper", "sweeper")
    refused = gateway.pakn("summary", "--week", week, "--send", check=False)
    assert refused.returncode == 1 and "--again" in refused.stderr.decode()
    assert len(summaries(relay)) == 1 and len(telegram_api.messages_to(CHAT)) == 1
    assert len(zalo_api.messages_to(ZALO_LEADER)) == 1
    again = gateway.pakn("summary", "--week", week, "--send", "--again")
    assert "3 người nhận" in again.stdout.decode()
    assert len(summaries(relay)) == 2 and len(telegram_api.messages_to(CHAT)) == 2
    assert len(zalo_api.messages_to(ZALO_LEADER)) == 2

    # Last week's figures come beside this week's: a submission moved back seven days counts there.
    gateway.journal(
        "update submissions set received_at = datetime(received_at, '-7 days') where tracking_code = ?", codes[2]
    )
    # A forwarded case whose due time (the normalizer's, in working days) has passed, with no result: late.
    gateway.journal(
        "update submissions set normalized = json_set(normalized, '$.due_at', '2020-01-06T08:00:00+07:00')"
        " where tracking_code = ?",
        codes[0],
    )
    printed = gateway.pakn("summary", "--week", week).stdout.decode()
    assert "Tiếp nhận: 2 (tuần trước: 1)" in printed, printed
    assert "Quá hạn xử lý (chưa có kết quả): 1 (tuần trước: 0)" in printed, printed
