"""Our extension ``POST requests/{id}/updates.{fmt}``: an app adds what its request was asked for, and the
*same* submission is completed and normalized again, as the JSON API's completion does it."""

from __future__ import annotations

import httpx
from defusedxml import ElementTree

from tests.channels.open311.conftest import BASE, OTHER_APP_KEY, client, report
from tests.channels.open311.test_requests import assert_error
from tests.channels.web.conftest import journal_rows
from tests.conftest import Gateway, wait_until

DRAIN = "Nắp cống thoát nước trước số 35 đường Nguyễn Thiện Thuật bị vỡ, rất nguy hiểm cho người đi đường."

SIDEWALK = "Vỉa hè trước trường tiểu học Phước Tiến bị lún sụt một đoạn dài, trẻ em phải đi xuống lòng đường."


def _row(gateway: Gateway, code: str) -> tuple[int, str, str]:
    ((row,),) = [journal_rows(gateway, "select id, status, findings from submissions where tracking_code = ?", code)]
    return row[0], row[1], row[2] or ""


def _waiting(http: httpx.Client, gateway: Gateway, description: str) -> tuple[str, str]:
    """A request without the incident's time, once the normalizer asked for it: (its id, its completion token)."""
    created = http.post(
        f"{BASE}/requests.json", data=report(description=description, **{"attribute[incident_time]": ""})
    )
    assert created.status_code == 201, created.text
    code, token = created.json()[0]["service_request_id"], created.headers["X-Completion-Token"]
    wait_until(lambda: _row(gateway, code)[1] != "received", 30, "the normalizer's verdict")
    _, status, findings = _row(gateway, code)
    assert status == "needs_information" and "missing-incident_time" in findings, (status, findings)
    return code, token


def test_an_update_completes_the_same_request_which_is_normalized_again(open311_gateway: Gateway) -> None:
    with client(open311_gateway) as http:
        code, token = _waiting(http, open311_gateway, DRAIN)
        submission_id = _row(open311_gateway, code)[0]
        count = "select count(*) from submissions"
        before = journal_rows(open311_gateway, count)
        update = {"api_key": report()["api_key"], "attribute[incident_time]": "7h sáng hôm qua"}
        url = f"{BASE}/requests/{code}/updates.xml"
        assert_error(http.post(url, data=update), 403)  # no completion token
        assert_error(http.post(url, data={**update, "completion_token": "AAAA"}), 403)
        assert_error(http.post(url, data={**update, "api_key": "wrong", "completion_token": token}), 403)
        assert_error(http.post(url, data={"api_key": update["api_key"], "completion_token": token}), 400)  # nothing
        assert_error(http.post(f"{BASE}/requests/PAKN-0000-0000/updates.json", data=update), 403)
        # Any of the gateway's apps holding the token may add to it (the token is the proof, as for the API).
        added = http.post(url, data={**update, "api_key": OTHER_APP_KEY}, headers={"X-Completion-Token": token})
        assert added.status_code == 202, added.text
        answer = ElementTree.fromstring(added.content)
        assert answer.tag == "service_requests" and answer.findtext("request/service_request_id") == code

        wait_until(lambda: _row(open311_gateway, code)[1] not in ("received", "needs_information"), 30, "verdict")
        _, status, findings = _row(open311_gateway, code)
        assert status in ("accepted", "forwarded") and "missing-incident_time" not in findings
        (amendment,) = journal_rows(
            open311_gateway, "select source_id, raw from amendments where submission_id = ?", submission_id
        )
        assert amendment[0].startswith("open311:other-app:update:") and "7h sáng hôm qua".encode() in amendment[1]
        assert journal_rows(open311_gateway, count) == before, "completed, not a second submission"
        view = http.get(f"{BASE}/requests/{code}.json").json()[0]
        assert view["status"] == "open" and view["service_request_id"] == code

        again = http.post(url.replace(".xml", ".json"), data=update, headers={"X-Completion-Token": token})
        assert "không ở trạng thái chờ bổ sung" in assert_error(again, 409)


def test_an_update_never_changes_who_sent_the_request(open311_gateway: Gateway) -> None:
    with client(open311_gateway) as http:
        code, token = _waiting(http, open311_gateway, SIDEWALK)
        submission_id = _row(open311_gateway, code)[0]
        other_name = {
            "api_key": report()["api_key"],
            "completion_token": token,
            "first_name": "Thị Hoa",
            "last_name": "Trần",
            "attribute[incident_time]": "tối hôm qua",
        }
        assert_error(http.post(f"{BASE}/requests/{code}/updates.json", data=other_name), 409)
        assert journal_rows(
            open311_gateway, "select count(*) from amendments where submission_id = ?", submission_id
        ) == [(0,)]
        assert _row(open311_gateway, code)[1] == "needs_information"


def test_a_request_left_waiting_reads_its_reminder_then_its_closing_in_status_notes(
    open311_gateway: Gateway,
) -> None:
    """GeoReport has no push: an app polls its request, so the reminder and the closing are in its
    status_notes (both formats), the request closed at the end; reached by moving the row's clock only."""
    with client(open311_gateway) as http:
        code, _ = _waiting(http, open311_gateway, SIDEWALK)

        def notes(fmt: str = "json") -> tuple[str, str]:
            answer = http.get(f"{BASE}/requests/{code}.{fmt}")
            assert answer.status_code == 200, answer.text
            if fmt == "xml":
                request = ElementTree.fromstring(answer.content).find("request")
                assert request is not None
                return request.findtext("status") or "", request.findtext("status_notes") or ""
            view = answer.json()[0]
            return view["status"], view["status_notes"]

        assert "Nhắc lại" not in notes()[1]
        moved = "update submissions set {} = datetime('now', '-21 days') where tracking_code = ?"
        open311_gateway.journal(moved.format("waiting_since"), code)
        wait_until(lambda: "Nhắc lại" in notes()[1], 30, "the reminder in status_notes")
        for fmt in ("json", "xml"):
            status, text = notes(fmt)
            assert status == "open" and code in text and "thời gian" in text.lower(), (fmt, text)
        open311_gateway.journal(moved.format("reminded_at"), code)
        wait_until(lambda: "đã được đóng" in notes()[1], 30, "the closing in status_notes")
        for fmt in ("json", "xml"):
            status, text = notes(fmt)
            assert status == "closed" and "Nhắc lại" not in text, (fmt, text)
        assert _row(open311_gateway, code)[1] == "rejected"
