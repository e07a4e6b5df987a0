"""The provincial report's figures: from real submissions, verdicts, forwards and signed case-store
callbacks, through `pakn stats --from --to`, the CSV/XLSX downloads and the statistics page."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
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
    # The routing suggestion and the subject of every eligible case (contract 1.1).
    assert sum(report["by_level"].values()) == sum(report["by_subject"].values()) == report["eligible"]
    assert report["by_level"].get("commune", 0) >= 1 and set(report["by_level"]) <= {"commune", "province"}
    assert any(agency.startswith("UBND phường ") for agency in report["by_agency"]), report["by_agency"]
    assert set(report["by_subject"]) <= {"hanh_vi", "quy_dinh", "khong_xac_dinh"}, report["by_subject"]
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
    assert {"Theo cấp đề xuất xử lý:", "Theo cơ quan đề xuất xử lý:", "Hành vi, quy định hành chính:"} <= set(
        headers
    ), headers
    assert "Cấp xã" in text
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
        # The IT centre's usual screen: 1366 x 768.
        ctx = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 768},
                                  extra_http_headers={"X-Forwarded-For": "192.0.2.77"})  # fmt: skip
        page = ctx.new_page()
        page.goto(f"{web_gateway.url}/admin/stats")
        expect(page).to_have_url(f"{web_gateway.url}/admin/login")
        assert page.locator("header.site, header nav").count() == 0  # the admin layout, not the citizens' site
        page.fill("#username", "tongdai")
        page.fill("#password", PASSWORD)
        page.click("main form button")
        expect(page.locator("#error-summary")).to_contain_text("không có quyền")  # operators may not
        page.fill("#username", "thongke")
        page.fill("#password", PASSWORD)
        page.click("main form button")
        page.fill("#from", start)
        page.fill("#to", end)
        page.click("form.period button")
        expect(page.locator('#figures li[data-key="received"] strong')).not_to_have_text("0")
        expect(page.locator("#by-field-chart rect")).not_to_have_count(0)
        expect(page.locator("#satisfaction-desc")).to_contain_text("Không hài lòng: 1")
        # Own layout: no citizen navigation, the operator and the sign-out in the header, the whole width.
        assert page.locator("header.site, header nav, a[href='/lookup']").count() == 0
        expect(page.locator("header.admin #signed-in")).to_contain_text("Phạm Thống Kê")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"horizontal overflow: {width}"
        main_box = page.locator("main").bounding_box()
        assert main_box is not None and main_box["width"] >= 1300, main_box
        # Every chart label whole and inside the screen; the bars fill the width left of the label.
        labels = page.locator(".bars .bar-label")
        assert labels.count() >= 8
        for i in range(labels.count()):
            label = labels.nth(i)
            box, text = label.bounding_box(), label.inner_text()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width[1], (text, box)
            assert "…" not in text and label.evaluate("e => e.scrollWidth <= e.clientWidth"), text
        whole = "Đủ điều kiện tiếp nhận, chuyển cơ quan có thẩm quyền"  # was cut to "…chuyển cơ…"
        long_label = page.locator("#outcome-chart .bar-label", has_text=whole)
        expect(long_label).to_have_count(1)
        bar = page.locator("#outcome-chart svg.bar").first.bounding_box()
        assert bar is not None and bar["width"] >= 600, bar  # full width, not a 700 px column
        # The period as people read it: local midnight, dd/mm/yyyy HH:MM (not 2026-12-01T00:00:00+07:00).
        shown_from = datetime.fromisoformat(start).strftime("%d/%m/%Y 00:00")
        expect(page.locator('#report-table tr[data-key="from"] td').nth(2)).to_have_text(shown_from)
        last_day = (datetime.fromisoformat(end) - timedelta(days=1)).strftime("%d/%m/%Y")
        expect(page.locator("#period-shown")).to_contain_text(f"{datetime.fromisoformat(start):%d/%m/%Y} – {last_day}")
        assert not re.search(r"\d{4}-\d{2}-\d{2}", page.locator("main").inner_text())  # no ISO date anywhere
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-statistics.png"), full_page=True)
        # A refusal stays in the admin layout, in Vietnamese, and takes the Vietnamese date too.
        page.goto(f"{web_gateway.url}/admin/stats?from=hôm-qua")
        expect(page.locator("#message")).to_contain_text("ngày/tháng/năm")
        assert page.locator("header.admin").count() == 1 and page.locator("header.site").count() == 0
        vietnamese = f"{datetime.fromisoformat(start):%d/%m/%Y}"
        page.goto(f"{web_gateway.url}/admin/stats?from={vietnamese}&to={end}")
        expect(page.locator("#from")).to_have_value(vietnamese)  # the boxes show dd/mm/yyyy, whatever the browser
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
        raw = client.get(f"/admin/stats.xlsx?from={start}&to={end}").content
        check_workbook(raw, start, end)
        for query in ("from=hôm-qua", "from=0001-01-01", "to=9999-12-31", f"from={end}&to={start}"):
            refused = client.get(f"/admin/stats?{query}")
            assert refused.status_code == 400 and "ngày" in refused.text.lower(), query
            assert 'header class="admin"' in refused.text and "/lookup" not in refused.text, query
        assert client.get("/admin/stats.csv?from=0001-01-01").status_code == 400
    with client_for(web_gateway) as stranger:
        assert stranger.get("/admin/stats.xlsx", follow_redirects=False).status_code == 303


def check_workbook(raw: bytes, start: str, end: str) -> None:
    """The workbook looks like the page: title and period (real dates, dd/mm/yyyy hh:mm) on every sheet, a
    blue header row, whole labels in a wide wrapped column, numbers formatted, and horizontal bar charts."""
    book = load_workbook(io.BytesIO(raw))
    assert book.sheetnames[0] == "Tổng hợp" and "Theo lĩnh vực" in book.sheetnames
    for sheet in book.worksheets:
        assert str(sheet["A1"].value).startswith("Thống kê tiếp nhận phản ánh, kiến nghị"), sheet.title
        assert sheet["A1"].font.bold and sheet["A2"].value == "Từ"
        moment = sheet["B2"].value
        assert isinstance(moment, datetime) and moment == datetime.fromisoformat(start), moment
        assert sheet["B2"].number_format == "dd/mm/yyyy hh:mm" and sheet["B3"].value == datetime.fromisoformat(end)
        header = [c.value for c in sheet[5][:3]]
        assert header == ["Chỉ tiêu", "Số liệu", "Mã"], header
        assert all(c.font.bold and c.fill.fgColor.rgb.endswith("0B4FA0") for c in sheet[5][:3])
        assert sheet.freeze_panes == "A6"
        longest = max(len(str(c.value)) for c in sheet["A"][5:])
        assert sheet.column_dimensions["A"].width >= min(60, longest), sheet.title
        assert all(c.alignment.wrap_text for c in sheet["A"][5:])
    summary = {row[2]: (row[1], cell.number_format)
               for row, cell in zip(book["Tổng hợp"].iter_rows(min_row=6, values_only=True),
                                    book["Tổng hợp"]["B"][5:], strict=True)}  # fmt: skip
    assert summary["satisfied"] == (1, "#,##0") and summary["dissatisfied_rate"] == (0.5, "0.0%")
    assert summary["forwarding_hours_median"][1] == "0.00"
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 3 and all('barDir val="bar"' in c for c in charts)  # horizontal bars, as on the page
    assert any("Theo lĩnh vực" in c for c in charts)
