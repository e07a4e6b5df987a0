"""The triage inbox (/admin/triage) on a real gateway with REVIEW_MODE=uncertain: an uncertain case is held,
a supervisor finds it in Chromium, corrects its field with the keyboard and forwards it; the case store
stand-in receives it once, with the correction, and the audit trail shows who changed what."""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.samples import submission
from tests.standins.case_store import CaseStoreStandIn

SECRET = "triage-tests-case-store-secret"
PASSWORD = "mat-khau-duyet-phan-anh-2024"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def triage(make_gateway: Callable[..., Gateway]) -> Iterator[tuple[Gateway, CaseStoreStandIn]]:
    store = CaseStoreStandIn(SECRET.encode()).start()
    try:
        gateway = make_gateway(
            REDIS_URL=SYSTEM_REDIS,
            CASE_STORE_SINK="http",
            CASE_STORE_URL=store.url,
            CASE_STORE_SECRET=SECRET,
            REVIEW_MODE="uncertain",
        )
        gateway.start_all()
        gateway.pakn("operators", "add", "truongca", "--name", "Lê Trưởng Ca", "--role", "supervisor",
                     "--password-stdin", input=f"{PASSWORD}\n".encode())  # fmt: skip
        gateway.pakn("operators", "add", "tongdai", "--name", "Điện Thoại Viên", "--password-stdin",
                     input=f"{PASSWORD}\n".encode())  # fmt: skip
        yield gateway, store
    finally:
        store.stop()


def status(gateway: Gateway, code: str) -> str:
    return str(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json()["status"])


def post(gateway: Gateway, body: dict[str, object]) -> str:
    answer = httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["tracking_code"])


def signed_in(gateway: Gateway, path: str, username: str) -> httpx.Client:
    """A client signed in on the admin pages (``/admin``) or the hotline console (``/hotline``)."""
    client = httpx.Client(base_url=gateway.url, timeout=20, follow_redirects=False)
    form = client.get(f"{path}/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, form.text
    answer = client.post(f"{path}/login", data={"csrf": csrf.group(1), "username": username, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return client


def page_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_uncertain_cases_wait_and_only_supervisors_may_act_on_them(triage: tuple[Gateway, CaseStoreStandIn]) -> None:
    gateway, store = triage
    certain = post(gateway, submission(0))
    province_only = post(gateway, submission(1, location="tỉnh Khánh Hòa"))
    outside = post(gateway, submission(3, location="phố Hàng Bài, quận Hoàn Kiếm, Hà Nội"))
    wait_until(lambda: status(gateway, certain) == "forwarded", 30, "the certain case forwarded at once")
    wait_until(lambda: status(gateway, province_only) == "held", 30, "the uncertain case held")
    assert set(store.cases) == {f"pakn-{certain}"}, "nothing held reaches the case store"

    anonymous = httpx.get(f"{gateway.url}/admin/triage", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/admin/login"
    # An operator signed in at the console has a session, not the role: 403 on the inbox and its actions.
    operator = signed_in(gateway, "/hotline", "tongdai")
    cookie = {"pakn_hotline_session": operator.cookies.get("pakn_hotline_session") or ""}
    assert cookie["pakn_hotline_session"], operator.cookies
    refused = httpx.get(f"{gateway.url}/admin/triage", cookies=cookie)
    assert refused.status_code == 403 and "không có quyền" in refused.text
    assert httpx.post(f"{gateway.url}/admin/triage/{province_only}/confirm", cookies=cookie).status_code == 403

    supervisor = signed_in(gateway, "/admin", "truongca")
    inbox = supervisor.get("/admin/triage", params={"state": "held", "q": province_only.lower()})
    assert inbox.status_code == 200 and f'data-code="{province_only}"' in inbox.text
    assert f'data-code="{certain}"' not in supervisor.get("/admin/triage").text
    # Found by the phone as a person types it (the journal keeps it as +84…), not among the overdue.
    by_phone = supervisor.get("/admin/triage", params={"state": "held", "q": "090 5000 001", "sort": "due"})
    assert f'data-code="{province_only}"' in by_phone.text and 'data-state="held"' in by_phone.text
    assert re.search(r'data-state="held"[^>]*>[^<]*\(<span class="count">1</span>\)', by_phone.text), by_phone.text
    assert "Địa điểm chưa xác định được đến cấp xã, phường" in by_phone.text, "why it was held, on its row"
    by_reason = {"state": "held", "held_for": "no-field"}
    assert f'data-code="{province_only}"' not in supervisor.get("/admin/triage", params=by_reason).text
    overdue = supervisor.get("/admin/triage", params={"state": "held", "due": "overdue"})
    assert overdue.status_code == 200 and f'data-code="{province_only}"' not in overdue.text
    detail = supervisor.get(f"/admin/triage/{province_only}")
    assert "Địa điểm chưa xác định được đến cấp xã, phường" in detail.text
    # What a citizen wrote is shown as text, never as markup: in the case, the original and its bytes.
    marked = post(gateway, submission(7, location="tỉnh Khánh Hòa", name="<img src=x onerror=alert(1)>"))
    wait_until(lambda: status(gateway, marked) == "held", 30, "held")
    shown = supervisor.get(f"/admin/triage/{marked}").text
    assert "<img src=x" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    # A ward given, the commune's agency would be suggested; the person keeps the province's instead.
    ward = {"csrf": page_csrf(shown), "place": "phường Nam Nha Trang, tỉnh Khánh Hòa", "agency": "province"}
    assert supervisor.post(f"/admin/triage/{marked}/correct", data=ward).status_code == 303

    def agency_of(html: str) -> str:
        found = re.search(r'<dd data-key="agency">([^<]*)</dd>', html)
        assert found, html
        return found.group(1)

    kept = supervisor.get(f"/admin/triage/{marked}").text
    assert agency_of(kept).endswith("(Cấp tỉnh)") and 'value="commune"' in kept
    # Then chooses the ward's: named as the routing table names it, with why.
    commune = {"csrf": page_csrf(kept), "agency": "commune"}
    assert supervisor.post(f"/admin/triage/{marked}/correct", data=commune).status_code == 303
    chosen = supervisor.get(f"/admin/triage/{marked}").text
    assert agency_of(chosen).endswith("phường Nam Nha Trang (Cấp xã)") and "Cán bộ duyệt chọn cơ quan xử lý." in chosen
    # Without the session's CSRF token nothing happens.
    assert supervisor.post(f"/admin/triage/{province_only}/confirm", data={"csrf": "x"}).status_code == 403
    assert status(gateway, province_only) == "held"
    csrf = page_csrf(detail.text)
    done = supervisor.post(f"/admin/triage/{province_only}/confirm", data={"csrf": csrf})
    assert done.status_code == 303
    # A second confirm (another person who had the page open) changes nothing and says who acted first.
    again = supervisor.post(f"/admin/triage/{province_only}/confirm", data={"csrf": csrf})
    assert again.status_code == 409 and "truongca" in again.text
    wait_until(lambda: f"pakn-{province_only}" in store.cases, 30, "the confirmed case at the case store")
    wait_until(lambda: status(gateway, province_only) == "forwarded", 30, "forwarded")
    assert store.arrivals[f"pakn-{province_only}"] == 1 and store.duplicates == 0
    # Only a failed submission is retried: a forwarded one is left alone.
    assert supervisor.post(f"/admin/triage/{certain}/retry", data={"csrf": csrf}).status_code == 409

    # The normalizer rejected one as outside the province; a person reopens it (a reason is required),
    # it is held, then confirmed: it reaches the case store once, with its normalized case.
    wait_until(lambda: status(gateway, outside) == "rejected", 30, "rejected by the normalizer")
    assert f'data-code="{outside}"' in supervisor.get("/admin/triage", params={"state": "rejected"}).text
    assert supervisor.post(f"/admin/triage/{outside}/reopen", data={"csrf": csrf, "reason": ""}).status_code == 400
    reopened = supervisor.post(
        f"/admin/triage/{outside}/reopen", data={"csrf": csrf, "reason": "Địa chỉ cũ, nay thuộc tỉnh"}
    )
    assert reopened.status_code == 303 and status(gateway, outside) == "held"
    assert supervisor.post(f"/admin/triage/{outside}/confirm", data={"csrf": csrf}).status_code == 303
    wait_until(lambda: f"pakn-{outside}" in store.cases, 30, "the reopened case at the case store")
    assert store.cases[f"pakn-{outside}"]["content"] == submission(3)["content"]
    trail = supervisor.get(f"/admin/triage/{outside}").text
    assert 'data-action="reopen"' in trail and "Địa chỉ cũ, nay thuộc tỉnh" in trail
    wait_until(lambda: status(gateway, outside) == "forwarded", 30, "forwarded")
    assert store.arrivals[f"pakn-{outside}"] == 1 and store.duplicates == 0

    # Two people press "confirm" at the same moment: one forwards, the other is told; the case arrives once.
    both = post(gateway, submission(4, location="tỉnh Khánh Hòa"))
    wait_until(lambda: status(gateway, both) == "held", 30, "held")
    other = signed_in(gateway, "/admin", "truongca")
    sessions = [(supervisor, csrf), (other, page_csrf(other.get(f"/admin/triage/{both}").text))]
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def press(client: httpx.Client, token: str) -> None:
        barrier.wait()
        answers.append(client.post(f"/admin/triage/{both}/confirm", data={"csrf": token}).status_code)

    threads = [threading.Thread(target=press, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [303, 409]
    wait_until(lambda: status(gateway, both) == "forwarded", 30, "forwarded")
    assert store.arrivals[f"pakn-{both}"] == 1 and store.duplicates == 0

    # One person corrects while another has the page open: the other's confirm is refused and shows the
    # correction; confirmed after a fresh look, the corrected case arrives once.
    late = post(gateway, submission(8, location="tỉnh Khánh Hòa"))
    wait_until(lambda: status(gateway, late) == "held", 30, "held")
    opened = other.get(f"/admin/triage/{late}").text
    seen = re.search(r'name="seen" value="(\d+)"', opened)
    assert seen and int(seen.group(1)) > 0, "the page carries the last audit line it shows"
    fresh = re.search(r'name="seen" value="(\d+)"', supervisor.get(f"/admin/triage/{late}").text)
    assert fresh
    fixed = supervisor.post(
        f"/admin/triage/{late}/correct", data={"csrf": csrf, "seen": fresh.group(1), "category": "xay-dung"}
    )
    assert fixed.status_code == 303
    other_csrf = page_csrf(opened)
    stale = other.post(f"/admin/triage/{late}/confirm", data={"csrf": other_csrf, "seen": seen.group(1)})
    assert stale.status_code == 409 and "vừa được thay đổi" in stale.text and "truongca" in stale.text
    assert status(gateway, late) == "held" and f"pakn-{late}" not in store.cases
    again = re.search(r'name="seen" value="(\d+)"', stale.text)
    assert again and int(again.group(1)) > int(seen.group(1))
    assert (
        other.post(f"/admin/triage/{late}/confirm", data={"csrf": other_csrf, "seen": again.group(1)}).status_code
        == 303
    )
    wait_until(lambda: status(gateway, late) == "forwarded", 30, "forwarded")
    assert store.cases[f"pakn-{late}"]["category"] == "xay-dung" and store.arrivals[f"pakn-{late}"] == 1

    # Sent back to the citizen with a chosen reason: needs information, the reason among the status's
    # reasons and in the message on the citizen's channel (the API's: its status answer).
    asked = post(gateway, submission(5, location="tỉnh Khánh Hòa"))
    wait_until(lambda: status(gateway, asked) == "held", 30, "held")
    sent = supervisor.post(f"/admin/triage/{asked}/send-back", data={"csrf": csrf, "reason": "place"})
    assert sent.status_code == 303
    answer = httpx.get(f"{gateway.url}/api/v1/submissions/{asked}", timeout=10).json()
    assert answer["status"] == "needs_information"
    assert any("địa điểm cụ thể" in r["message"] for r in answer["reasons"])
    assert any("địa điểm cụ thể" in m["message"] for m in answer["messages"]), answer["messages"]
    assert f'data-code="{asked}"' in supervisor.get("/admin/triage", params={"state": "needs_information"}).text
    # Or in the person's own words, which then replace the list's choice.
    own = post(gateway, submission(6, location="tỉnh Khánh Hòa"))
    wait_until(lambda: status(gateway, own) == "held", 30, "held")
    words = "Xin gửi ảnh chụp cột đèn bị hỏng."
    sent = supervisor.post(
        f"/admin/triage/{own}/send-back", data={"csrf": csrf, "reason": "place", "reason_text": words}
    )
    assert sent.status_code == 303
    answer = httpx.get(f"{gateway.url}/api/v1/submissions/{own}", timeout=10).json()
    assert answer["status"] == "needs_information" and [r["message"] for r in answer["reasons"]] == [words]
    assert any(words in m["message"] for m in answer["messages"]), answer["messages"]

    # The audit trail of the period, for the reports: who did what to which submission.
    today = datetime.now(UTC).date()
    period = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=2)).isoformat()}
    export = supervisor.get("/admin/triage/actions.csv", params=period)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã"
    done_by = [(r[0], r[2], r[3]) for r in rows[1:]]
    assert (province_only, "truongca", "Xác nhận và chuyển") in done_by
    assert (outside, "truongca", "Mở lại") in done_by
    assert httpx.get(f"{gateway.url}/admin/triage/actions.csv", params=period, cookies=cookie).status_code == 403
    # The statistics' downloads carry the same work, counted: per action, and per rule a person overrode.
    report = supervisor.get("/admin/stats.csv", params=period)
    counted = {(r[0], r[1]): r[3] for r in csv.reader(io.StringIO(report.content.decode("utf-8-sig")))}
    reviewed = "Thao tác của cán bộ duyệt (hộp duyệt)"
    assert counted[(reviewed, "confirm")] == "4", counted
    assert counted[(reviewed, "reopen:status")] == "1" and counted[(reviewed, "send_back:status")] == "2"
    assert counted[("Quyết định của hệ thống được cán bộ thay đổi, theo quy tắc", "verdict")] == "2"


SUMMARY = "Công trình xây dựng lấn chiếm vỉa hè, đề nghị kiểm tra giấy phép."


def test_a_supervisor_corrects_a_held_case_in_chromium_and_forwards_it_once(
    triage: tuple[Gateway, CaseStoreStandIn],
) -> None:
    gateway, store = triage
    code = post(gateway, submission(2, location="tỉnh Khánh Hòa"))
    wait_until(lambda: status(gateway, code) == "held", 30, "held for review")
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 768}).new_page()
        page.goto(f"{gateway.url}/admin/triage")
        expect(page).to_have_url(f"{gateway.url}/admin/login")
        page.fill("#username", "truongca")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/admin/stats"))
        page.focus("nav.admin-nav a[href='/admin/triage']")  # the inbox is one link away on every admin page
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{gateway.url}/admin/triage")
        # Keyboard only: "/" to the search box, the code, Enter; then j to the held submission, Enter.
        expect(page.locator("#inbox tbody tr")).not_to_have_count(0)
        page.keyboard.press("/")
        expect(page.locator("#q")).to_be_focused()
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(page.locator("#inbox tbody tr")).to_have_count(1)
        page.keyboard.press("j")
        expect(page.locator(f'#inbox tr[data-code="{code}"] a')).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text(code)
        expect(page.locator("#held-for")).to_contain_text("cấp xã, phường")
        # The original as it arrived, read as its channel's fields (the JSON API's), the bytes folded below.
        original = page.locator('#original-1[data-kind="form"]')
        expect(original.locator('dd[data-key="content"]')).to_have_text(str(submission(2)["content"]))
        expect(original.locator("details pre")).to_contain_text('"content"')
        # The normalized case in words: its subject by name, not by code.
        expect(page.locator('#case dd[data-key="subject"]')).to_have_text("Không thuộc hành vi, quy định hành chính")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], "the page fits the IT centre's 1366 px screen"
        # The field select has the focus; correct it to "Xây dựng", and the place to a ward, then save.
        expect(page.locator("#correct-category")).to_be_focused()
        page.select_option("#correct-category", "xay-dung")
        page.focus("#correct-place")
        page.keyboard.press("Control+A")
        page.keyboard.type("phường Nam Nha Trang, tỉnh Khánh Hòa")
        page.focus("#correct-summary")  # a summary for the agency; the citizen's content is kept as written
        page.keyboard.type(SUMMARY)
        page.focus("#correct-reason")
        page.keyboard.type("Công trình xây dựng lấn chiếm")
        page.keyboard.press("Enter")
        expect(page.locator("#notice")).to_contain_text("Đã lưu")
        expect(page.locator("#correct-summary")).to_have_value(SUMMARY)
        expect(page.locator('#case dd[data-key="category"]')).to_have_text("Xây dựng")
        # The agency is suggested anew for the corrected field and ward (its own line of the trail).
        expect(page.locator('#case dd[data-key="agency"]')).to_contain_text("UBND phường Nam Nha Trang")
        corrections = page.locator('#audit tr[data-action="correct"]')
        expect(corrections).to_have_count(4)
        expect(page.locator('#audit tr[data-action="correct"][data-field="summary"]')).to_contain_text(SUMMARY)
        expect(corrections.first).to_contain_text("truongca")
        expect(corrections.first).to_contain_text("→ Xây dựng")
        expect(corrections.first).to_contain_text("Công trình xây dựng lấn chiếm")
        page.focus("#confirm")
        page.keyboard.press("Enter")
        expect(page.locator("#state strong")).to_have_attribute("data-status", re.compile("accepted|forwarded"))
        expect(page.locator('#audit tr[data-action="confirm"]')).to_have_count(1)
        # The statistics count the correction per field.
        page.click("nav.admin-nav a[href='/admin/stats']")
        expect(page.locator("#corrections-desc")).to_contain_text("Chỉnh sửa: Lĩnh vực: 1")
        expect(page.locator("#corrections-desc")).to_contain_text("Chỉnh sửa: Tóm tắt nội dung: 1")
        expect(page.locator("#overrides-desc")).to_contain_text("Phân loại lĩnh vực, mức độ khẩn: 1")
        expect(page.locator("#overrides-desc")).to_contain_text("Xác định địa điểm: 1")
        browser.close()
    wait_until(lambda: f"pakn-{code}" in store.cases, 30, "the corrected case at the case store")
    case = store.cases[f"pakn-{code}"]
    assert case["category"] == "xay-dung"
    assert case["place"]["commune"] and "Nam Nha Trang" in case["place"]["commune"]
    assert (case["suggested_agency"], case["level"]) == ("UBND phường Nam Nha Trang", "commune")
    assert (case["schema_version"], case["summary"]) == ("1.2", SUMMARY)
    assert case["content"] == submission(2)["content"], "the citizen's words go as written"
    wait_until(lambda: status(gateway, code) == "forwarded", 30, "forwarded")
    assert store.arrivals[f"pakn-{code}"] == 1 and store.duplicates == 0


def test_a_wrongly_rejected_submission_is_found_reopened_corrected_and_forwarded_once_in_chromium(
    triage: tuple[Gateway, CaseStoreStandIn],
) -> None:
    """Done when (#22): in the browser, a person finds a submission the normalizer got wrong (rejected as
    outside the province: the citizen wrote the old address), reopens it, corrects its place and forwards
    it; the correction is in its audit trail and in the statistics; the case store receives it once."""
    gateway, store = triage
    wrong = submission(9, location="phố Hàng Bài, quận Hoàn Kiếm, Hà Nội")
    code = post(gateway, wrong)
    wait_until(lambda: status(gateway, code) == "rejected", 30, "rejected by the normalizer")
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 768}).new_page()
        page.goto(f"{gateway.url}/admin/login")
        page.fill("#username", "truongca")
        page.fill("#password", PASSWORD)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/admin/stats"))
        page.goto(f"{gateway.url}/admin/triage")
        # Keyboard only: the "rejected" tab, then the citizen's phone as they would read it out.
        page.focus('#states a[data-state="rejected"]')
        page.keyboard.press("Enter")
        expect(page.locator('#states a[aria-current="page"]')).to_have_attribute("data-state", "rejected")
        page.keyboard.press("/")
        page.keyboard.type("090 5000 009")
        page.keyboard.press("Enter")
        expect(page.locator("#inbox tbody tr")).to_have_count(1)
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text(code)
        expect(page.locator('#findings tr[data-code="outside-jurisdiction"]')).to_contain_text("Xác định địa điểm")
        # Reopen with a reason: it is held, with its forward written.
        page.focus("#reopen-reason")
        page.keyboard.type("Địa chỉ ghi nhầm, sự việc ở Nha Trang")
        page.keyboard.press("Enter")
        expect(page.locator("#state strong")).to_have_attribute("data-status", "held")
        # Correct the place (the field select has the focus), save, then confirm and forward.
        expect(page.locator("#correct-category")).to_be_focused()
        page.focus("#correct-place")
        page.keyboard.press("Control+A")
        page.keyboard.type("đường Thái Nguyên, phường Nha Trang, tỉnh Khánh Hòa")
        page.keyboard.press("Enter")
        expect(page.locator("#notice")).to_contain_text("Đã lưu")
        expect(page.locator('#case dd[data-key="place"]')).to_contain_text("Phường Nha Trang")
        page.focus("#confirm")
        page.keyboard.press("Enter")
        expect(page.locator("#state strong")).to_have_attribute("data-status", re.compile("accepted|forwarded"))
        trail = page.locator("#audit tbody tr")
        expect(trail.nth(0)).to_have_attribute("data-action", "reopen")
        expect(trail.nth(0)).to_contain_text("Địa chỉ ghi nhầm, sự việc ở Nha Trang")
        expect(page.locator('#audit tr[data-action="correct"]').first).to_contain_text("Hà Nội → ")
        expect(page.locator('#audit tr[data-action="confirm"]')).to_contain_text("truongca")
        # The statistics: the rejection reopened (its finding) and the place corrected (its rule), once each.
        page.click("nav.admin-nav a[href='/admin/stats']")
        expect(page.locator("#overrides-desc")).to_contain_text("Ngoài phạm vi tiếp nhận của tỉnh: 1")
        expect(page.locator("#overrides-desc")).to_contain_text("Xác định địa điểm: 1")
        expect(page.locator("#corrections-desc")).to_contain_text("Chỉnh sửa: Địa điểm: 1")
        browser.close()
    wait_until(lambda: status(gateway, code) == "forwarded", 30, "forwarded")
    case = store.cases[f"pakn-{code}"]
    assert "Nha Trang" in (case["place"]["commune"] or "") and case["content"] == wrong["content"]
    assert store.arrivals[f"pakn-{code}"] == 1 and store.duplicates == 0
