"""Every error of the JSON API has one shape, ``{error, message}``, with a Vietnamese message; no English leaks.

Through a running gateway: wrong types, a top-level array, an unknown address, a wrong method, a missing
bearer token, the case store's callback with a wrong field, and the answers a citizen gets when all is well.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx

from dispatcher.sinks import sign
from tests.channels.web.conftest import CASE_STORE_SECRET, client_for, web_gateway
from tests.conftest import Gateway

__all__ = ["web_gateway"]

# Words of an English sentence that no Vietnamese message needs (pydantic's and Starlette's texts are made of them).
ENGLISH = re.compile(
    r"\b(the|should|be|is|are|not|valid|input|field|required|method|allowed|found|must|missing|invalid|error"
    r"|value|please|unauthorized|forbidden|internal|server|no such|token)\b",
    re.IGNORECASE,
)
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE)


def texts(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, string) a person may read in a JSON answer: messages and texts, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from texts(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item, key)
    elif isinstance(value, str) and key in ("message", "status_text", "detail", "description"):
        yield key, value


def assert_vietnamese(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    assert isinstance(body, dict), answer.text
    shown = list(texts(body))
    assert shown, f"nothing to read in {answer.text}"
    for key, text in shown:
        assert VIETNAMESE.search(text), f"{key} is not Vietnamese: {text!r}"
        stripped = re.sub(r"\([^)]*\)|\"[^\"]*\"|Content-Type: \S+|Authorization: \S+", "", text)
        assert not ENGLISH.search(stripped), f"English in {key}: {text!r}"
    assert "Input should" not in answer.text and "detail" not in body
    return body


def test_every_api_error_has_one_shape_in_vietnamese(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        wrong_type = client.post("/api/v1/submissions", json={"content": 5, "confidential": "yes"})
        assert wrong_type.status_code == 422
        body = assert_vietnamese(wrong_type)
        assert body["error"] == "invalid-fields"
        by_field = {e["field"]: e["message"] for e in body["errors"]}
        assert "Nội dung" in by_field["content"] and "văn bản" in by_field["content"]
        assert "Giữ bí mật" in by_field["confidential"]

        too_long = client.post("/api/v1/submissions", json={"location": "x" * 600})
        assert "500" in assert_vietnamese(too_long)["message"]

        array = client.post("/api/v1/submissions", json=[{"content": "Đèn đường hỏng"}])
        assert array.status_code == 422
        body = assert_vietnamese(array)
        assert 'Trường ""' not in array.text and all("field" not in e for e in body["errors"])
        assert "đối tượng JSON" in body["message"]

        as_text = client.post("/api/v1/submissions", content=b"{}", headers={"content-type": "text/plain"})
        assert as_text.status_code == 415 and assert_vietnamese(as_text)["error"] == "unsupported-media-type"
        huge = client.post("/api/v1/submissions", json={"content": "á" * 1_500_000})
        assert huge.status_code == 413 and assert_vietnamese(huge)["error"] == "too-large"
        no_token = client.post("/api/v1/submissions/PAKN-0000-0000/completion", json={"name": "An"})
        assert no_token.status_code == 403 and assert_vietnamese(no_token)["error"] == "completion-token"
        not_json = client.post("/api/v1/submissions", content=b"{oops", headers={"content-type": "application/json"})
        assert not_json.status_code == 422 and assert_vietnamese(not_json)["error"] == "invalid-json"

        delete = client.delete("/api/v1/submissions/PA-XXXX")
        assert delete.status_code == 405
        body = assert_vietnamese(delete)
        assert body["error"] == "method-not-allowed" and "DELETE" in body["message"]
        assert "GET" in delete.headers["allow"]

        nowhere = client.get("/api/v1/nothing-here")
        assert nowhere.status_code == 404 and assert_vietnamese(nowhere)["error"] == "not-found"

        unknown = client.get("/api/v1/submissions/PA-0000-0000")
        assert unknown.status_code == 404 and assert_vietnamese(unknown)["error"] == "not-found"

        chat = client.post("/api/v1/chat/nowhere", json={})
        assert chat.status_code == 404
        assert_vietnamese(chat)

        no_token = client.post("/hotline/api/v1/calls", json={"call_id": "1"})
        assert no_token.status_code == 401 and no_token.headers["www-authenticate"] == "Bearer"
        assert assert_vietnamese(no_token)["error"] == "unauthorized"

        update = json.dumps({"tracking_code": "PA-0000-0000", "status": "closed", "update_id": 5}).encode()
        signature = sign(CASE_STORE_SECRET.encode(), int(time.time()), update)
        refused = client.post(
            "/api/v1/case-store/updates",
            content=update,
            headers={"content-type": "application/json", "X-PAKN-Signature": signature},
        )
        assert refused.status_code == 422
        body = assert_vietnamese(refused)
        assert {e["field"] for e in body["errors"]} == {"status", "update_id"}
        assert "Trạng thái" in body["message"]


def test_a_citizens_good_answers_read_in_vietnamese(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        posted = client.post("/api/v1/submissions", json={"content": "Đèn đường hỏng ở ngõ 5 phố Huế"})
        assert posted.status_code == 202
        status = client.get(f"/api/v1/submissions/{posted.json()['tracking_code']}")
        assert status.status_code == 200
        assert_vietnamese(status)


def test_the_openapi_document_promises_the_same_shape(web_gateway: Gateway) -> None:
    schema = httpx.get(f"{web_gateway.url}/openapi.json", timeout=10).json()
    assert "HTTPValidationError" not in json.dumps(schema)
    calls = schema["paths"]["/hotline/api/v1/missed-calls/{call}/called-back"]["post"]["responses"]["422"]
    assert calls["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ApiError"


def test_a_browser_gets_a_vietnamese_page_for_what_no_page_answers(web_gateway: Gateway) -> None:
    html = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    with client_for(web_gateway) as client:
        missing = client.get("/khong-co-trang-nay", headers=html)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert "Không có trang nào tại địa chỉ này" in missing.text and "Not Found" not in missing.text
        wrong_method = client.put("/lookup", headers=html)
        assert wrong_method.status_code == 405 and "mã lỗi 405" in wrong_method.text
        script = client.get("/khong-co-trang-nay")  # not a browser: the API's shape, still Vietnamese
        assert script.status_code == 404 and assert_vietnamese(script)["error"] == "not-found"
        open311 = client.get("/open311/v2/khong-co")  # machines' endpoints keep their own answers
        assert open311.status_code == 404
