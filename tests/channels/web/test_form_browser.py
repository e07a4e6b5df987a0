"""The citizen pages in headless Debian Chromium (Playwright): with JavaScript and without, a photo, the
diacritics hint, the rate limit, and a lookup. Screenshots go to artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.channels.web.conftest import (
    ARTIFACTS,
    FIXTURES,
    POSTS_PER_CLIENT,
    form_values,
    journal_rows,
    new_ip,
    web_gateway,
)
from tests.conftest import Gateway

__all__ = ["web_gateway"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
CODE = re.compile(r"^PAKN-[0-9A-Z]{4}-[0-9A-Z]{4}$")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def context(browser: Browser, *, javascript: bool) -> BrowserContext:
    return browser.new_context(
        locale="vi-VN", java_script_enabled=javascript, extra_http_headers={"X-Forwarded-For": new_ip()}, **PHONE
    )


def fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"#{name}", value)


def live_codes(page: Page) -> list[str]:
    return [str(c) for c in page.locator("#live-findings li").evaluate_all("items => items.map(i => i.dataset.code)")]


def test_with_javascript_the_hints_show_while_typing_and_a_photo_goes_along(
    browser: Browser, web_gateway: Gateway
) -> None:
    ctx = context(browser, javascript=True)
    page = ctx.new_page()
    page.goto(web_gateway.url + "/")
    expect(page.locator("main h1")).to_have_text("Gửi phản ánh, kiến nghị")
    expect(page.locator("#locate")).to_be_visible()  # only offered when the script runs
    page.locator("#content").press_sequentially("Den duong truoc nha so 12 khong sang da ba dem, rat nguy hiem")
    expect(page.locator('#live-findings li[data-code="no-diacritics"]')).to_be_visible()
    expect(page.locator("#content-live")).to_contain_text("không dấu")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-form-hints.png"), full_page=True)
    values = form_values("complete")
    fill(page, values)
    page.check("#confidential")
    page.set_input_files("#files", str(FIXTURES / "photo.jpg"))
    expect(page.locator('#live-findings li[data-code="no-diacritics"]')).to_have_count(0)
    expect(page.locator("#live-verdict")).to_have_attribute("data-verdict", "accepted")
    page.screenshot(path=str(ARTIFACTS / "web-form.png"), full_page=True)
    page.click("#send")
    expect(page.locator("#tracking-code")).to_have_text(CODE)
    code = page.locator("#tracking-code").inner_text()
    page.screenshot(path=str(ARTIFACTS / "web-receipt.png"), full_page=True)

    page.click("#lookup-link")
    expect(page.locator("#result-title")).to_have_text(code)
    expect(page.locator("#submitter")).to_have_text("Được giữ bí mật")
    page.goto(web_gateway.url + "/lookup")
    page.fill("#code", code.lower().replace("-", ""))
    page.click("form.lookup button")
    expect(page.locator("#result-title")).to_have_text(code)
    expect(page.locator("main")).not_to_contain_text(values["phone"])
    # Times in the province's time zone, as people there write them (the journal keeps UTC).
    ((received,),) = journal_rows(web_gateway, "select received_at from submissions where tracking_code = ?", code)
    shown = datetime.fromisoformat(received).replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    expect(page.locator("#result dl")).to_contain_text(shown.strftime("%d/%m/%Y %H:%M"))
    expect(page.locator("#result dl")).not_to_contain_text("UTC")
    page.screenshot(path=str(ARTIFACTS / "web-lookup.png"), full_page=True)
    ctx.close()


def test_without_javascript_the_server_marks_every_problem_and_keeps_everything(
    browser: Browser, web_gateway: Gateway
) -> None:
    ctx = context(browser, javascript=False)
    page = ctx.new_page()
    page.goto(web_gateway.url + "/")
    expect(page.locator("#locate")).to_be_hidden()
    values = form_values("incomplete_no_diacritics")
    fill(page, values)
    page.set_input_files("#files", str(FIXTURES / "photo.jpg"))
    page.click("#send")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator('a[href="#content"]')).to_contain_text("không dấu")
    expect(summary.locator('a[href="#incident_time"]')).to_be_visible()
    expect(summary.locator('a[href="#phone"]')).to_be_visible()
    expect(page.locator("#content")).to_have_value(values["content"])
    expect(page.locator("#name")).to_have_value(values["name"])
    expect(page.locator("#content")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#kept-files")).to_contain_text("photo.jpg")
    page.screenshot(path=str(ARTIFACTS / "web-form-errors-nojs.png"), full_page=True)
    summary.locator('a[href="#incident_time"]').click()
    expect(page).to_have_url(re.compile(r"#incident_time$"))
    fill(page, form_values("complete"))
    page.click("#send")
    expect(page.locator("#tracking-code")).to_have_text(CODE)
    ctx.close()


def test_too_many_posts_get_a_clear_vietnamese_answer(browser: Browser, web_gateway: Gateway) -> None:
    ctx = context(browser, javascript=False)
    page = ctx.new_page()
    page.goto(web_gateway.url + "/")
    for _ in range(POSTS_PER_CLIENT):
        page.click("#send")
        expect(page.locator("#error-summary")).to_be_visible()
    response = None
    with page.expect_response(lambda r: r.url.endswith("/submit")) as info:
        page.click("#send")
    response = info.value
    assert response.status == 429 and response.headers["retry-after"].isdigit()
    expect(page.locator("#message")).to_contain_text("quá nhiều yêu cầu")
    expect(page.locator("main h1")).to_have_text("Xin thử lại sau")
    page.screenshot(path=str(ARTIFACTS / "web-rate-limited.png"), full_page=True)
    ctx.close()
