"""Our answers have the shapes of the spec's examples (tests/fixtures/open311), and a client library reads them.

A shape is the set of paths from the root to every element (XML) or key (JSON, ``[]`` for a list's items):
element names, nesting and field names, not values.  The XML is read with defusedxml; the client library is
``georeport`` (PyPI), which reads the XML with xmltodict and the JSON with requests, as an app would.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

import httpx
import pytest
import requests
from defusedxml import ElementTree
from georeport import GeoReport

from tests.channels.open311.conftest import APP_KEY, BASE, FIXTURES, JURISDICTION, client, report
from tests.conftest import Gateway


def xml_shape(element: Element, prefix: str = "") -> set[str]:
    path = f"{prefix}/{element.tag}"
    shape = {path}
    for child in element:
        shape |= xml_shape(child, path)
    return shape


def json_shape(value: Any, prefix: str = "") -> set[str]:
    shape: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            shape |= {f"{prefix}/{key}"} | json_shape(inner, f"{prefix}/{key}")
    elif isinstance(value, list):
        for item in value:
            shape |= json_shape(item, f"{prefix}/[]")
    return shape


def fixture_shapes(name: str) -> tuple[set[str], set[str]]:
    xml = ElementTree.fromstring((FIXTURES / f"{name}.xml").read_bytes())
    return xml_shape(xml), json_shape(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def answers(http: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, httpx.Response]:
    """The same call in .xml and .json: both answers, the XML's headers and declaration checked."""
    base = "/open311" if path == "discovery" else BASE
    xml = http.request(method, f"{base}/{path}.xml", **kwargs)
    as_json = http.request(method, f"{base}/{path}.json", **kwargs)
    assert xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert xml.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert as_json.headers["content-type"].startswith("application/json")
    return xml, as_json


def assert_shaped_like(name: str, xml: httpx.Response, as_json: httpx.Response) -> None:
    want_xml, want_json = fixture_shapes(name)
    assert xml_shape(ElementTree.fromstring(xml.content)) == want_xml
    assert json_shape(as_json.json()) == want_json


def test_every_answer_has_the_shape_of_the_spec_example(open311_gateway: Gateway) -> None:
    with client(open311_gateway) as http:
        xml, as_json = answers(http, "GET", "discovery")
        assert_shaped_like("discovery", xml, as_json)
        (endpoint,) = as_json.json()["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert set(endpoint["formats"]) == {"text/xml", "application/json"}
        assert ElementTree.fromstring(xml.content).findtext("endpoints/endpoint/url") == endpoint["url"]
        assert endpoint["url"].endswith(BASE)
        assert_shaped_like("services", *answers(http, "GET", "services"))
        assert_shaped_like("service_definition", *answers(http, "GET", "services/moi-truong-do-thi"))
        xml, as_json = answers(http, "POST", "requests", data=report(), headers={"Idempotency-Key": "shapes-1"})
        assert xml.status_code == as_json.status_code == 201
        assert_shaped_like("post_response", xml, as_json)
        code = as_json.json()[0]["service_request_id"]
        assert ElementTree.fromstring(xml.content).findtext("request/service_request_id") == code
        assert_shaped_like("service_requests", *answers(http, "GET", f"requests/{code}"))
        assert_shaped_like("service_requests", *answers(http, "GET", "requests", params={"service_request_id": code}))
        assert_shaped_like("service_requests", *answers(http, "GET", "requests", params={"api_key": APP_KEY}))
        for path in ("requests/PAKN-0000-0000", "services/khong-co"):
            assert_shaped_like("errors", *answers(http, "GET", path))
        assert_shaped_like("errors", *answers(http, "POST", "requests", data=report(api_key="wrong")))
        empty = http.get(f"{BASE}/requests.xml", params={"api_key": APP_KEY, "end_date": "2020-01-01T00:00:00Z"})
        assert empty.status_code == 200 and ElementTree.fromstring(empty.content).tag == "service_requests"


def test_text_that_xml_cannot_carry_is_left_out_and_markup_escaped(open311_gateway: Gateway) -> None:
    description = "Rác <b>đổ</b> & bốc mùi\x07 trước chợ Xóm Mới, đã nhiều ngày không ai dọn, xin xử lý."
    with client(open311_gateway) as http:
        created = http.post(f"{BASE}/requests.xml", data=report(description=description))
        assert created.status_code == 201, created.text
        code = ElementTree.fromstring(created.content).findtext("request/service_request_id")
        read = ElementTree.fromstring(http.get(f"{BASE}/requests/{code}.xml").content)
        assert "<b>đổ</b> & bốc mùi" in str(read.findtext("request/description"))
        assert "\x07" not in str(read.findtext("request/description"))


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_georeport_client_library_reads_our_answers(open311_gateway: Gateway, fmt: str) -> None:
    with client(open311_gateway) as http:
        created = http.post(f"{BASE}/requests.json", data=report(), headers={"Idempotency-Key": f"library-{fmt}"})
        code = created.json()[0]["service_request_id"]
    app = GeoReport(f"{open311_gateway.url}{BASE}", jurisdiction=JURISDICTION, output_format=fmt)
    services = app.get_service_list()
    assert "moi-truong-do-thi" in [s["service_code"] for s in services]
    assert {str(s["metadata"]).lower() for s in services} == {"true"}
    definition = app.get_service_definition("moi-truong-do-thi")
    attributes = definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"]
    assert [a["code"] for a in attributes] == ["incident_time", "confidential"]
    request = app.get_service_request(code)
    assert request["service_request_id"] == code and request["status"] in ("open", "closed")
    assert request["service_code"] in [s["service_code"] for s in services]
    assert str(request["lat"]) == "12.2388" and request["requested_datetime"].endswith("+07:00")
    listed = app.get_service_requests(service_request_id=f"{code},PAKN-0000-0000")
    assert (listed["service_request_id"] if fmt == "xml" else listed[0]["service_request_id"]) == code
    with pytest.raises(requests.HTTPError) as refused:  # a search needs the app's key, which it does not send
        app.get_service_requests(status="open")
    assert refused.value.response.status_code == 403
    stranger = GeoReport(f"{open311_gateway.url}{BASE}", jurisdiction="hanoi.gov.vn", output_format=fmt)
    with pytest.raises(requests.HTTPError) as unknown:
        stranger.get_service_list()
    assert unknown.value.response.status_code == 404
