"""The gateway's Open311 GeoReport v2 server: every response checked against the GeoReport v2 field lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from defusedxml import ElementTree

from tests.channels.open311.conftest import APP_KEY, BASE, JURISDICTION, OTHER_APP_KEY, client, report
from tests.channels.web.conftest import journal_rows
from tests.conftest import Gateway, wait_until

# wiki.open311.org/GeoReport_v2, written out here independently of the server's code.
SERVICE_LIST_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
POST_RESPONSE_FIELDS = {"service_request_id", "service_notice", "account_id"}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
ERROR_FIELDS = {"code", "description"}


def assert_error(response: httpx.Response, status: int) -> str:
    """The spec's error list with ``status``, in the format the path asked for; its description."""
    assert response.status_code == status, response.text
    if response.request.url.path.endswith(".xml"):
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        root = ElementTree.fromstring(response.content)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert [c.tag for c in root[0]] == ["code", "description"] and root[0].findtext("code") == str(status)
        return str(root[0].findtext("description"))
    body = response.json()
    assert isinstance(body, list) and body and set(body[0]) == ERROR_FIELDS and body[0]["code"] == status
    return str(body[0]["description"])


def test_services_are_the_fields_of_feedback(open311_gateway: Gateway) -> None:
    with client(open311_gateway) as http:
        services = http.get(f"{BASE}/services.json").json()
        assert len(services) >= 16
        for service in services:
            assert set(service) == SERVICE_LIST_FIELDS
            assert service["type"] in SERVICE_TYPES and isinstance(service["metadata"], bool)
        assert {"moi-truong-do-thi", "linh-vuc-khac"} <= {s["service_code"] for s in services}
        definition = http.get(f"{BASE}/services/moi-truong-do-thi.json").json()
        assert set(definition) == {"service_code", "attributes"}
        for attribute in definition["attributes"]:
            assert ATTRIBUTE_FIELDS <= set(attribute) <= ATTRIBUTE_FIELDS | {"values"}
            assert attribute["datatype"] in DATATYPES
        xml = ElementTree.fromstring(http.get(f"{BASE}/services.xml").content)
        assert [s.findtext("service_code") for s in xml] == [s["service_code"] for s in services]
        assert {s.findtext("metadata") for s in xml} == {"true"}
        assert_error(http.get(f"{BASE}/services/khong-co.json"), 404)
        assert_error(http.get(f"{BASE}/services/khong-co.xml"), 404)


def test_jurisdiction_id_is_ours_or_refused(open311_gateway: Gateway) -> None:
    with client(open311_gateway) as http:
        assert http.get(f"{BASE}/services.xml", params={"jurisdiction_id": JURISDICTION}).status_code == 200
        assert http.get(f"{BASE}/services.json", params={"jurisdiction_id": ""}).status_code == 200
        for path in ("services.xml", "services/moi-truong-do-thi.json", "requests.xml", "requests/PAKN-0000-0000.json"):
            text = assert_error(http.get(f"{BASE}/{path}", params={"jurisdiction_id": "hanoi.gov.vn"}), 404)
            assert "jurisdiction_id" in text
        posted = http.post(f"{BASE}/requests.xml", data=report(jurisdiction_id="hanoi.gov.vn"))
        assert "jurisdiction_id" in assert_error(posted, 404)
        assert_error(http.get(f"{BASE}/services.csv"), 404)
        assert_error(http.get(f"{BASE}/khong-co.xml"), 404)


def test_an_app_posts_a_request_and_reads_its_status(open311_gateway: Gateway) -> None:
    with client(open311_gateway) as http:
        created = http.post(f"{BASE}/requests.json", data=report(), headers={"Idempotency-Key": "app-req-1"})
        assert created.status_code == 201, created.text
        ((answer,),) = [created.json()]
        assert set(answer) == POST_RESPONSE_FIELDS
        code = answer["service_request_id"]
        again = http.post(f"{BASE}/requests.xml", data=report(), headers={"Idempotency-Key": "app-req-1"})
        assert again.status_code == 201
        assert ElementTree.fromstring(again.content).findtext("request/service_request_id") == code

        def checked() -> dict[str, object] | None:
            body = http.get(f"{BASE}/requests/{code}.json").json()
            return body[0] if body[0]["status_notes"].split("\n")[0] != "Đã tiếp nhận, đang kiểm tra" else None

        view = wait_until(checked, 30, "the normalizer's verdict")
        assert set(view) == REQUEST_FIELDS
        assert view["status"] in ("open", "closed") and view["service_code"] == "moi-truong-do-thi"
        assert view["lat"] == 12.2388 and view["long"] == 109.1967
        assert "0905777888" not in str(view) and "Bình" not in str(view)
        assert str(view["requested_datetime"]).endswith("+07:00")
        xml = ElementTree.fromstring(http.get(f"{BASE}/requests/{code}.xml").content)
        (request,) = xml.findall("request")
        assert {child.tag: child.text for child in request} == {
            k: (None if v is None else str(v)) for k, v in view.items()
        }
    ((channel, raw),) = journal_rows(
        open311_gateway, "select channel, raw from submissions where tracking_code = ?", code
    )
    assert channel == "api" and b'"via":"open311"' in raw and APP_KEY.encode() not in raw
    assert "Lê Văn Bình".encode() in raw and b'"confidential":true' in raw


def test_bad_requests_get_georeport_errors_in_either_format(open311_gateway: Gateway) -> None:
    for fmt in ("json", "xml"):
        with client(open311_gateway) as http:
            assert_error(http.post(f"{BASE}/requests.{fmt}", data=report(api_key="wrong")), 403)
            assert_error(http.post(f"{BASE}/requests.{fmt}", data=report(api_key="")), 403)
            assert_error(http.post(f"{BASE}/requests.{fmt}", data=report(service_code="khong-co")), 404)
            assert_error(http.post(f"{BASE}/requests.{fmt}", data=report(service_code="")), 400)
            no_place = report(address_string="", lat="", long="")
            assert_error(http.post(f"{BASE}/requests.{fmt}", data=no_place), 400)
            assert_error(http.post(f"{BASE}/requests.{fmt}", data=report(lat="north")), 400)
            assert_error(http.post(f"{BASE}/requests.{fmt}", json={"api_key": APP_KEY}), 415)
            assert_error(http.get(f"{BASE}/requests/PAKN-0000-0000.{fmt}"), 404)
    rows = journal_rows(open311_gateway, "select count(*) from submissions where source_id like 'open311:%:%'")
    assert all("khong-co" not in str(r) for r in rows)


def _post(http: httpx.Client, key: str = APP_KEY, **changes: str) -> str:
    created = http.post(f"{BASE}/requests.json", data=report(api_key=key, **changes))
    assert created.status_code == 201, created.text
    return str(created.json()[0]["service_request_id"])


def test_get_requests_by_id_list_and_by_the_spec_filters(open311_gateway: Gateway) -> None:
    with client(open311_gateway) as http:
        traffic = (
            "Đèn tín hiệu giao thông ở ngã tư Lê Thánh Tôn và Trần Phú bị hỏng từ sáng, xe máy và ô tô đi lộn xộn."
        )
        ours = [_post(http), _post(http, service_code="giao-thong-van-tai", description=traffic)]
        theirs = _post(http, key=OTHER_APP_KEY)
        listed = http.get(f"{BASE}/requests.json", params={"service_request_id": f"{ours[0]}, {theirs},PAKN-0000-0000"})
        assert [r["service_request_id"] for r in listed.json()] == [ours[0], theirs]
        assert all(set(r) == REQUEST_FIELDS for r in listed.json())
        xml = ElementTree.fromstring(
            http.get(f"{BASE}/requests.xml", params={"service_request_id": ",".join(ours)}).content
        )
        assert xml.tag == "service_requests" and [r.findtext("service_request_id") for r in xml] == ours

        # Without ids: the app's own requests only (its api_key), newest first, within the window.
        assert_error(http.get(f"{BASE}/requests.json"), 403)
        assert_error(http.get(f"{BASE}/requests.xml", params={"api_key": "wrong"}), 403)
        mine = http.get(f"{BASE}/requests.json", params={"api_key": APP_KEY}).json()
        codes = [r["service_request_id"] for r in mine]
        assert set(ours) <= set(codes) and theirs not in codes
        assert codes.index(ours[1]) < codes.index(ours[0])
        other = http.get(f"{BASE}/requests.xml", params={"api_key": OTHER_APP_KEY})
        assert [r.findtext("service_request_id") for r in ElementTree.fromstring(other.content)] == [theirs]

        def by(**params: str) -> list[str]:
            answer = http.get(f"{BASE}/requests.json", params={"api_key": APP_KEY, **params})
            assert answer.status_code == 200, answer.text
            return [r["service_request_id"] for r in answer.json()]

        # service_code: the field the request is in (the normalizer's, once it has looked at it).
        def fields_of_ours() -> list[str] | None:
            views = http.get(f"{BASE}/requests.json", params={"service_request_id": ",".join(ours)}).json()
            done = all(v["status_notes"].split("\n")[0] != "Đã tiếp nhận, đang kiểm tra" for v in views)
            return [(v["service_code"], v["status"]) for v in views] if done else None

        fields, states = zip(*wait_until(fields_of_ours, 30, "the normalizer's verdicts"), strict=True)
        assert fields[0] != fields[1], fields
        assert ours[0] in by(service_code=fields[0]) and ours[1] not in by(service_code=fields[0])
        assert set(ours) <= set(by(service_code=f"{fields[1]},{fields[0]}"))
        assert not set(ours) & set(by(service_code="khong-co"))
        for state in ("open", "closed"):
            listed = set(by(status=state))
            assert {c for c, s in zip(ours, states, strict=True) if s == state} == set(ours) & listed
        assert set(ours) <= set(by(status="open,closed"))
        both = [("api_key", APP_KEY), ("status", "open"), ("status", "closed")]  # repeated rather than a list
        repeated = http.get(f"{BASE}/requests.json", params=both)
        assert set(ours) <= {r["service_request_id"] for r in repeated.json()}
        now = datetime.now(UTC)
        hour_ago = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert set(ours) <= set(by(start_date=hour_ago))
        assert set(ours) <= set(by(start_date=hour_ago, end_date=(now + timedelta(minutes=5)).isoformat()))
        assert not set(ours) & set(by(end_date=hour_ago))
        yesterday = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) - timedelta(days=1)).date().isoformat()
        assert set(ours) <= set(by(start_date=yesterday))  # a bare W3C date: that day's start in TIMEZONE
        assert not set(ours) & set(by(start_date="2024-01-01T00:00:00+07:00", end_date="2024-03-01T00:00:00+07:00"))
        for bad in (
            {"start_date": "hôm qua"},
            {"start_date": "2024-01-01T00:00:00"},  # no time zone
            {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"},  # over 90 days
            {"start_date": "2024-02-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"},
            {"status": "pending"},
        ):
            assert_error(http.get(f"{BASE}/requests.xml", params={"api_key": APP_KEY, **bad}), 400)
        too_many = ",".join(f"PAKN-0000-{i:04d}" for i in range(101))
        assert_error(http.get(f"{BASE}/requests.json", params={"service_request_id": too_many}), 400)


def test_a_body_too_large_is_refused_in_the_format_asked_for(open311_gateway: Gateway) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted while the body streams in
        yield b"api_key=" + APP_KEY.encode() + b"&description="
        for _ in range(40):
            yield b"a" * 50_000

    form = {"content-type": "application/x-www-form-urlencoded"}
    with client(open311_gateway) as http:
        for fmt in ("xml", "json"):
            streamed = http.post(f"{BASE}/requests.{fmt}", content=chunks(), headers=form)
            assert "quá lớn" in assert_error(streamed, 413)
            declared = http.post(f"{BASE}/requests.{fmt}", content=b"".join(chunks()), headers=form)
            assert "quá lớn" in assert_error(declared, 413)
