"""The gateway's Open311 GeoReport v2 server: every response checked against the GeoReport v2 field lists."""

from __future__ import annotations

import httpx

from tests.channels.web.conftest import OPEN311_KEY, client_for, journal_rows, web_gateway
from tests.conftest import Gateway, wait_until

__all__ = ["web_gateway"]

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
BASE = "/open311/v2"


def assert_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body and set(body[0]) == ERROR_FIELDS and body[0]["code"] == status


def report(**changes: str) -> dict[str, str]:
    form = {
        "api_key": OPEN311_KEY,
        "service_code": "moi-truong-do-thi",
        "description": "Cây xanh trước số 20 đường Trần Phú bị gãy cành, đè lên vỉa hè, người đi bộ phải xuống đường.",
        "address_string": "số 20 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
        "lat": "12.2388",
        "long": "109.1967",
        "first_name": "Văn Bình",
        "last_name": "Lê",
        "phone": "0905777888",
        "attribute[incident_time]": "7h sáng ngày 10/9/2024",
        "attribute[confidential]": "true",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v}


def test_services_are_the_fields_of_feedback(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        services = client.get(f"{BASE}/services.json").json()
        assert len(services) >= 16
        for service in services:
            assert set(service) == SERVICE_LIST_FIELDS
            assert service["type"] in SERVICE_TYPES and isinstance(service["metadata"], bool)
        assert {"moi-truong-do-thi", "linh-vuc-khac"} <= {s["service_code"] for s in services}
        definition = client.get(f"{BASE}/services/moi-truong-do-thi.json").json()
        assert set(definition) == {"service_code", "attributes"}
        for attribute in definition["attributes"]:
            assert ATTRIBUTE_FIELDS <= set(attribute) <= ATTRIBUTE_FIELDS | {"values"}
            assert attribute["datatype"] in DATATYPES
        assert_error(client.get(f"{BASE}/services/khong-co.json"), 404)


def test_an_app_posts_a_request_and_reads_its_status(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        created = client.post(f"{BASE}/requests.json", data=report(), headers={"Idempotency-Key": "app-req-1"})
        assert created.status_code == 201, created.text
        ((answer,),) = [created.json()]
        assert set(answer) == POST_RESPONSE_FIELDS
        code = answer["service_request_id"]
        again = client.post(f"{BASE}/requests.json", data=report(), headers={"Idempotency-Key": "app-req-1"})
        assert again.json()[0]["service_request_id"] == code

        def checked() -> dict[str, object] | None:
            body = client.get(f"{BASE}/requests/{code}.json").json()
            return body[0] if body[0]["status_notes"].split("\n")[0] != "Đã tiếp nhận, đang kiểm tra" else None

        view = wait_until(checked, 30, "the normalizer's verdict")
        assert set(view) == REQUEST_FIELDS
        assert view["status"] in ("open", "closed") and view["service_code"] == "moi-truong-do-thi"
        assert view["lat"] == 12.2388 and view["long"] == 109.1967
        assert "0905777888" not in str(view) and "Bình" not in str(view)
        assert view["requested_datetime"].endswith("+07:00")
    ((channel, raw),) = journal_rows(web_gateway, "select channel, raw from submissions where tracking_code = ?", code)
    assert channel == "api" and b'"via":"open311"' in raw and OPEN311_KEY.encode() not in raw
    assert "Lê Văn Bình".encode() in raw and b'"confidential":true' in raw


def test_bad_requests_get_georeport_errors(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        assert_error(client.post(f"{BASE}/requests.json", data=report(api_key="wrong")), 403)
        assert_error(client.post(f"{BASE}/requests.json", data=report(service_code="khong-co")), 400)
    with client_for(web_gateway) as client:
        no_place = report(address_string="", lat="", long="")
        assert_error(client.post(f"{BASE}/requests.json", data=no_place), 400)
        assert_error(client.post(f"{BASE}/requests.json", data=report(lat="north")), 400)
        assert_error(client.get(f"{BASE}/requests/PAKN-0000-0000.json"), 404)
