"""The provincial report's figures: from real submissions, verdicts, forwards and signed case-store
callbacks, through `pakn stats --from --to`, the CSV/XLSX downloads and the statistics page."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect, sync_playwright

from dispatcher.sinks import sign
from tests.channels.web.conftest import ARTIFACTS, CASE_STORE_SECRET, client_for, web_gateway
from tests.conftest import Gateway, wait_until
from tests.samples import submission

__all__ = ["web_gateway"]
PASSWORD = "mat-khau-thong-ke-2024"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def status(gateway: Gateway, code: str) -> str:
    return str(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json()["status"])


def case_update(gateway: Gateway, code: str, **body: object) -> None:
    raw = json.dumps({"tracking_code": code, **body}).encode()
    headers = {"X-PAKN-Signature": sign(CASE_STORE_SECRET.encode(), int(time.time()), raw),
               "content-type": "application/json"}  # fmt: skip
    assert httpx.post(f"{gateway.url}/api/v1/case-store/updates", content=raw, headers=headers).status_code == 202


@pytest.fixture(scope="module")
def period(web_gateway: Gateway) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Submissions of every outcome, made now; the report period is today ± a day (UTC dates)."""
    bodies = {
        "ok1": submission(1),
        "ok2": submission(2),
        "outside": submission(3, location="phố Hàng Bài, quận Hoàn Kiếm, Hà Nội"),
        "incomplete": {"content": "Tôi là Trần Thị Bình, tối qua lúc 21h có vụ vỡ ống nước lớn gây ngập đường."},
    }
    codes = {}
    for name, body in bodies.items():
        answer = httpx.post(f"{web_gateway.url}/api/v1/submissions", json=body, timeout=10)
        codes[name] = answer.json()["tracking_code"]
    wait_until(lambda: status(web_gateway, codes["ok1"]) == "forwarded", 30, "the first case forwarded")
    wait_until(lambda: status(web_gateway, codes["ok2"]) == "forwarded", 30, "the second case forwarded")
    wait_until(lambda: status(web_gateway, codes["outside"]) == "rejected", 30, "the rejection")
    wait_until(lambda: status(web_gateway, codes["incomplete"]) == "needs_information", 30, "the request")
    case_update(web_gateway, codes["ok1"], status="resolved", update_id="u1", answer="Đã sửa đèn.", on_time=True,
                satisfaction=5)  # fmt: skip
    case_update(web_gateway, codes["ok2"], status="resolved", update_id="u2", answer="Đã xử lý.", on_time=False,
                satisfaction=2)  # fmt: skip
    today = datetime.now(UTC).date()
    yield (today - timedelta(days=1)).isoformat(), (today + timedelta(days=2)).isoformat(), codes


def test_pakn_stats_prints_the_report_for_a_period(
    web_gateway: Gateway, period: tuple[str, str, dict[str, str]]
) -> None:
    start, end, _codes = period
    figures = json.loads(web_gateway.pakn("stats", "--from", start, "--to", end, "--json").stdout)
    report = figures["report"]
    assert figures["total"] == report["received"] >= 4  # the raw counts stay for scripts
    assert report["eligible"] >= 2 and report["forwarded"] >= 2
    assert report["not_eligible_reasons"].get("outside-jurisdiction", 0) >= 1
    assert report["asked_for_information"] >= 1 and 0 < report["needs_information_rate"] < 1
    assert (report["resolved"], report["on_time"], report["late"]) == (2, 1, 1)
    assert (report["rated"], report["satisfied"], report["dissatisfied"], report["dissatisfied_rate"]) == (2, 1, 1, 0.5)
    assert report["forwarding_hours_median"] is not None
    assert report["by_field"].get("moi-truong-do-thi", 0) >= 1
    assert report["by_channel"]["api"]["received"] >= 4
    assert any(unit.startswith("Phường") for unit in report["by_unit"])
    empty = json.loads(web_gateway.pakn("stats", "--from", "2001-01-01", "--to", "2001-02-01", "--json").stdout)
    assert empty["report"]["received"] == 0 and empty["report"]["needs_information_rate"] is None
    text = web_gateway.pakn("stats", "--from", start, "--to", end).stdout.decode()
    for label in ("Số phản ánh, kiến nghị tiếp nhận", "Không đủ điều kiện tiếp nhận", "Ngoài phạm vi tiếp nhận",
                  "Xử lý trễ hạn", "Tỷ lệ không hài lòng", "Môi trường – Đô thị", "50.0%"):  # fmt: skip
        assert label in text, label
    # Vietnamese section headers, each once; no English ones.
    headers = [line for line in text.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert headers[:2] == ["Kỳ báo cáo:", "Tổng hợp:"] and len(headers) == len(set(headers)), headers
    assert {"Theo kênh tiếp nhận:", "Đủ điều kiện theo kênh:", "Theo lĩnh vực:"} <= set(headers), headers
    assert not [h for h in headers if h.isascii()], headers
    # Without --from/--to: "Từ" and "Đến" say what the period is, "Đến" is now in local time.
    open_ended = web_gateway.pakn("stats").stdout.decode().splitlines()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    assert "(từ phản ánh đầu tiên)" in open_ended[1] and today in open_ended[2], open_ended[:3]
    assert "by_category" in figures["about"] and "report.by_field" in figures["about"]


def test_the_statistics_page_charts_and_downloads(
    web_gateway: Gateway, period: tuple[str, str, dict[str, str]]
) -> None:
    start, end, _codes = period
    web_gateway.pakn("operators", "add", "thongke", "--name", "Phạm Thống Kê", "--role", "supervisor",
                     "--password-stdin", input=f"{PASSWORD}\n".encode())  # fmt: skip
    web_gateway.pakn("operators", "add", "tongdai", "--name", "Điện Thoại Viên", "--password-stdin",
                     input=f"{PASSWORD}\n".encode())  # fmt: skip
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(locale="vi-VN", viewport={"width": 1100, "height": 900},
                                  extra_http_headers={"X-Forwarded-For": "192.0.2.77"})  # fmt: skip
        page = ctx.new_page()
        page.goto(f"{web_gateway.url}/admin/stats")
        expect(page).to_have_url(f"{web_gateway.url}/admin/login")
        page.fill("#username", "tongdai")
        page.fill("#password", PASSWORD)
        page.click("form button")
        expect(page.locator("#error-summary")).to_contain_text("không có quyền")  # operators may not
        page.fill("#username", "thongke")
        page.fill("#password", PASSWORD)
        page.click("form button")
        page.fill("#from", start)
        page.fill("#to", end)
        page.click("form.period button")
        expect(page.locator('#figures li[data-key="received"] strong')).not_to_have_text("0")
        expect(page.locator("#by-field-chart rect")).not_to_have_count(0)
        expect(page.locator("#satisfaction-chart desc")).to_contain_text("Không hài lòng: 1")
        # The period as people read it: local midnight, dd/mm/yyyy HH:MM (not 2026-12-01T00:00:00+07:00).
        shown_from = datetime.fromisoformat(start).strftime("%d/%m/%Y 00:00")
        expect(page.locator('#report-table tr[data-key="from"] td').nth(2)).to_have_text(shown_from)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-statistics.png"), full_page=True)
        cookies = {c["name"]: c["value"] for c in ctx.cookies() if c["path"] == "/admin"}
        browser.close()
    with client_for(web_gateway, "192.0.2.78") as client:
        client.cookies.update(cookies)
        assert client.get("/admin/stats.csv", follow_redirects=False).status_code == 200
        csv_answer = client.get(f"/admin/stats.csv?from={start}&to={end}")
        assert csv_answer.headers["content-disposition"].startswith("attachment")
        table = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
        assert table[0] == ["Mục", "Mã", "Chỉ tiêu", "Số liệu"]
        assert ["Tổng hợp", "late", "Xử lý trễ hạn", "1"] in table
        book = load_workbook(io.BytesIO(client.get(f"/admin/stats.xlsx?from={start}&to={end}").content))
        summary = {row[1]: row[2] for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
        assert summary["satisfied"] == 1 and summary["dissatisfied_rate"] == 0.5
        assert "Theo lĩnh vực" in book.sheetnames
        for query in ("from=hôm-qua", "from=0001-01-01", "to=9999-12-31", f"from={end}&to={start}"):
            refused = client.get(f"/admin/stats?{query}")
            assert refused.status_code == 400 and "Ngày" in refused.text, query
        assert client.get("/admin/stats.csv?from=0001-01-01").status_code == 400
    with client_for(web_gateway) as stranger:
        assert stranger.get("/admin/stats.xlsx", follow_redirects=False).status_code == 303
