"""The completion page over HTTP (httpx) and in Chromium, with and without JavaScript, on the running gateway:
linked from the receipt and the lookup with the completion token (the messages' link: the e-mail and SMS
tests); refused without it; CSRF-checked and rate limited; the same submission completed, re-normalized."""

from __future__ import annotations

import itertools
import re
import uuid

import httpx
import pytest
from playwright.sync_api import Browser, expect

from channels.web.payload import CONTENT_TYPE, WebPayload
from pakn.db import make_engine, utcnow
from pakn.journal import Journal
from pakn.records import Channel, RawSubmission
from tests.channels.web.conftest import ARTIFACTS, client_for, form_values, journal_rows, new_ip, web_gateway
from tests.channels.web.test_form_browser import PHONE, browser
from tests.conftest import Gateway, wait_until

__all__ = ["browser", "web_gateway"]

_numbers = itertools.count(101)
LINK = re.compile(r"/complete/(PAKN-[0-9A-Z]{4}-[0-9A-Z]{4})\?token=([A-Z2-7]+)")


def waiting_submission(gateway: Gateway) -> tuple[str, str, str]:
    """An API submission without its place: (code, completion token, the needs-information message as the
    journal keeps it).

    Each of its own house number and phone, or it would repeat the one before (``repeat`` rule)."""
    n = next(_numbers)
    values = {k: v for k, v in form_values("complete").items() if v and k != "location"}
    values["content"] = values["content"].replace("số 12", f"số {n}")
    values["phone"] = f"09051{n:05d}"
    receipt = httpx.post(f"{gateway.url}/api/v1/submissions", json=values, timeout=20).json()
    code = receipt["tracking_code"]

    def asked() -> str | None:
        rows = journal_rows(
            gateway,
            "select n.message from notifications n join submissions s on s.id = n.submission_id "
            "where s.tracking_code = ? and n.kind = 'needs_information'",
            code,
        )
        return str(rows[0][0]) if rows else None

    message = wait_until(asked, 30, "the needs-information message")
    return code, receipt["completion_token"], message


def status_of(gateway: Gateway, code: str) -> str:
    return str(journal_rows(gateway, "select status from submissions where tracking_code = ?", code)[0][0])


def test_the_receipt_links_to_a_form_that_completes_the_same_submission(web_gateway: Gateway) -> None:
    code, token, message = waiting_submission(web_gateway)
    assert token not in message, "the link is added when sent: the journal's copy, shown to anyone, has no token"
    with client_for(web_gateway) as client:
        public = client.get(f"/api/v1/submissions/{code}").json()
        assert token not in str(public["messages"])
        # Without the token, or with another one: refused, in Vietnamese; nothing else shown.
        for url in (f"/complete/{code}", f"/complete/{code}?token=AAAAAAAAAAAAAAAAAAAAAAAA"):
            refused = client.get(url)
            assert refused.status_code == 403
            assert "Đường liên kết bổ sung thông tin" in refused.text and "Yersin" not in refused.text
        # The receipt and the lookup link to the page only for whoever holds the token.
        assert 'id="complete-link"' not in client.get(f"/receipt/{code}").text
        assert 'id="complete-link"' not in client.get("/lookup", params={"code": code}).text
        for shown in (client.get(f"/receipt/{code}?token={token}"), client.get(f"/lookup?code={code}&token={token}")):
            assert f'href="/complete/{code}?token={token}"' in shown.text
        link = LINK.search(client.get(f"/receipt/{code}?token={token}").text)
        assert link and link.groups() == (code, token)

        form = client.get(link.group(0))
        assert form.status_code == 200
        assert 'name="location"' in form.text and 'name="content"' not in form.text, "only what is missing"
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        key = re.search(r'name="form_key" value="([^"]+)"', form.text)
        assert csrf and key
        place = {"location": "số 12 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa", "form_key": key.group(1)}

        forged = client.post(f"/complete/{code}", data={**place, "token": token, "csrf": "forged"})
        assert forged.status_code == 403 and "Phiên làm việc" in forged.text
        stolen = client.post(f"/complete/{code}", data={**place, "token": "B" * 24, "csrf": csrf.group(1)})
        assert stolen.status_code == 403
        # Only the fields asked for are taken: who the submitter is stays as it was.
        done = client.post(
            f"/complete/{code}", data={**place, "name": "Trần Thị Bình", "token": token, "csrf": csrf.group(1)}
        )
        assert done.status_code == 303 and done.headers["location"] == f"/receipt/{code}?token={token}"
        wait_until(lambda: status_of(web_gateway, code) in ("accepted", "forwarded"), 40, "the completed verdict")
        again = client.post(f"/complete/{code}", data={**place, "token": token, "csrf": csrf.group(1)})
        assert again.status_code == 409 and "không chờ bổ sung" in again.text
    rows = journal_rows(
        web_gateway,
        "select count(*) from amendments a join submissions s on s.id = a.submission_id where s.tracking_code = ?",
        code,
    )
    assert rows == [(1,)]
    ((normalized,),) = journal_rows(web_gateway, "select normalized from submissions where tracking_code = ?", code)
    assert "Nguyễn Văn An" in normalized and "Trần Thị Bình" not in normalized and "Yersin" in normalized


def test_completions_are_rate_limited_per_client(web_gateway: Gateway) -> None:
    code, _token, _message = waiting_submission(web_gateway)
    with client_for(web_gateway, new_ip()) as client:
        answers = [client.get(f"/complete/{code}").status_code for _ in range(12)]
    assert answers[:10] == [403] * 10 and answers[10:] == [429, 429]


@pytest.mark.parametrize("javascript", [False, True])
def test_a_citizen_completes_in_chromium(browser: Browser, web_gateway: Gateway, javascript: bool) -> None:
    code, token, _message = waiting_submission(web_gateway)
    ctx = browser.new_context(
        locale="vi-VN", java_script_enabled=javascript, extra_http_headers={"X-Forwarded-For": new_ip()}, **PHONE
    )
    page = ctx.new_page()
    page.goto(f"{web_gateway.url}/lookup?code={code}&token={token}")
    expect(page.locator("#status")).to_have_attribute("data-status", "needs_information")
    page.click("#complete-link")
    expect(page.locator("main h1")).to_have_text("Bổ sung thông tin cho phản ánh, kiến nghị")
    expect(page.locator("#reasons")).to_contain_text("địa điểm")
    page.fill("#location", "số 12 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-complete-{'js' if javascript else 'nojs'}.png"), full_page=True)
    page.click("#send")
    expect(page.locator("#tracking-code")).to_have_text(code)
    wait_until(lambda: status_of(web_gateway, code) in ("accepted", "forwarded"), 40, "the completed verdict")
    page.reload()
    expect(page.locator("#status")).not_to_have_attribute("data-status", "needs_information")
    expect(page.locator("#complete-link")).to_have_count(0)
    ctx.close()


def test_the_lookup_page_shows_the_reminder_then_the_closing_of_a_web_submission(web_gateway: Gateway) -> None:
    """The web form has no push: what the sweeper tells a waiting submission is read on the lookup page.
    Journaled as the form journals (the form itself refuses a post that lacks a field), then re-normalized;
    the journal's clock of the row is moved past the delays: nothing sleeps."""
    values = {k: v for k, v in form_values("complete").items() if v and k != "location"}
    values["content"] = values["content"].replace("số 12", "số 77")
    values["phone"] = "0905177177"
    journal = Journal(make_engine(f"sqlite:///{web_gateway.data_dir / 'journal.db'}"))
    raw = RawSubmission(Channel.WEB, f"web:{uuid.uuid4().hex}", WebPayload(**values).to_bytes(), CONTENT_TYPE, utcnow())
    (receipt,) = journal.intake.record([raw])
    journal.engine.dispose()
    code = receipt.tracking_code
    web_gateway.pakn("replay", code)
    wait_until(lambda: status_of(web_gateway, code) == "needs_information", 30, "needs_information")

    def told(kind: str) -> list[str]:
        with client_for(web_gateway) as client:
            page = client.get("/lookup", params={"code": code}).text
        return re.findall(rf'<li data-kind="{kind}">.*?<span class="message">(.*?)</span>', page, re.S)

    web_gateway.journal(
        "update submissions set waiting_since = datetime('now', '-21 days') where id = ?", receipt.submission_id
    )
    (reminder,) = wait_until(lambda: told("reminder"), 30, "the reminder on the lookup page")
    assert reminder.startswith("Nhắc lại") and "token=" not in reminder, "no completion token for whoever has the code"
    web_gateway.journal(
        "update submissions set reminded_at = datetime('now', '-21 days') where id = ?", receipt.submission_id
    )
    (closed,) = wait_until(lambda: told("closed"), 30, "the closing on the lookup page")
    assert "không đủ điều kiện" in closed
    assert status_of(web_gateway, code) == "rejected"
