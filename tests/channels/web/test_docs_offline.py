"""/docs and /redoc work on a machine without internet (assets served by the gateway), and every page
finds its /favicon.ico: in Chromium with every request to another host refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from tests.channels.web.conftest import ARTIFACTS, web_gateway
from tests.channels.web.test_form_browser import CHROMIUM_ARGS
from tests.conftest import Gateway

__all__ = ["web_gateway"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def offline_page(browser: Browser) -> tuple[Page, list[str], list[str]]:
    """A page that can reach the gateway only: (page, requests elsewhere, answers of 400 and more)."""
    page = browser.new_page(locale="vi-VN")
    elsewhere: list[str] = []
    failed: list[str] = []

    def only_local(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in ("127.0.0.1", "localhost") or request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return page, elsewhere, failed


def test_swagger_ui_and_redoc_render_without_internet(browser: Browser, web_gateway: Gateway) -> None:
    page, elsewhere, failed = offline_page(browser)
    page.goto(f"{web_gateway.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("PAKN Gateway", timeout=30_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/submissions").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs-swagger.png"))
    page.goto(f"{web_gateway.url}/redoc")
    expect(page.locator("h1", has_text="PAKN Gateway")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "docs-redoc.png"))
    assert elsewhere == [], elsewhere
    assert failed == [], failed
    page.close()


def test_every_page_finds_its_favicon(browser: Browser, web_gateway: Gateway) -> None:
    icon = httpx.get(f"{web_gateway.url}/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page, elsewhere, failed = offline_page(browser)
    # Headless Chromium fetches no icons itself: each page must name one, and it must be there.
    for path in ("/", "/lookup", "/hotline/login", "/admin/login", "/docs"):
        page.goto(f"{web_gateway.url}{path}")
        href = page.locator("link[rel~=icon]").first.get_attribute("href")
        assert href == "/favicon.ico", (path, href)
        assert page.request.get(f"{web_gateway.url}{href}").status == 200, path
    assert elsewhere == [] and failed == [], (elsewhere, failed)
    page.close()
