"""Strict edges: each door refuses what it cannot store faithfully, with a clear 4xx naming the field.

The JSON API wants JSON (415 otherwise) and a well-formed Idempotency-Key (400, never dropped); the web
form and Open311 want UTF-8 text (400); Open311's media_url must be http(s); an upload is judged by its
bytes and kept under a name whose extension is its content's.
"""

from __future__ import annotations

import struct
import zlib

import httpx

from channels.web import uploads
from tests.channels.web.conftest import (
    OPEN311_KEY,
    client_for,
    form_values,
    journal_rows,
    open_form,
    receipt_code,
    web_gateway,
)
from tests.conftest import Gateway

__all__ = ["web_gateway"]


def png() -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    header = struct.pack("!IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def count(gateway: Gateway) -> int:
    return int(journal_rows(gateway, "select count(*) from submissions")[0][0])


def test_the_json_api_takes_json_only(web_gateway: Gateway) -> None:
    before = count(web_gateway)
    with httpx.Client(base_url=web_gateway.url, timeout=10) as client:
        body = b'{"content": "\xc4\x90\xc3\xa8n \xc4\x91\xc6\xb0\xe1\xbb\x9dng h\xe1\xbb\x8fng"}'
        for headers in ({"content-type": "text/plain"}, {}, {"content-type": "application/x-www-form-urlencoded"}):
            answer = client.post("/api/v1/submissions", content=body, headers=headers)
            assert answer.status_code == 415, (headers, answer.text)
            assert answer.json()["error"] == "unsupported-media-type" and "JSON" in answer.json()["message"]
        ok = client.post(
            "/api/v1/submissions", content=body, headers={"content-type": "application/json; charset=utf-8"}
        )
        assert ok.status_code == 202, ok.text
    assert count(web_gateway) == before + 1


def test_idempotency_keys_are_checked_not_dropped(web_gateway: Gateway) -> None:
    before = count(web_gateway)
    with httpx.Client(base_url=web_gateway.url, timeout=10) as client:
        for key in ("k" * 300, "có dấu".encode(), "two words"):
            answer = client.post("/api/v1/submissions", json={"content": "x"}, headers={"Idempotency-Key": key})
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"] == "invalid-idempotency-key"
            assert "Idempotency-Key" in answer.json()["message"]
        in_body = client.post("/api/v1/submissions", json={"content": "x", "idempotency_key": "k" * 129})
        assert in_body.status_code == 422 and in_body.json()["errors"][0]["field"] == "idempotency_key"
        # Open311: a malformed key is refused too, and a good one makes a retry return the same code.
        form = {
            "api_key": OPEN311_KEY,
            "service_code": "moi-truong-do-thi",
            "description": "Rác thải đổ trộm ở đầu hẻm 12 đường Trần Phú đã ba ngày chưa được thu gom.",
            "address_string": "hẻm 12 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
        }
    with client_for(web_gateway) as client:
        bad = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "x" * 200})
        assert bad.status_code == 400 and "Idempotency-Key" in bad.json()[0]["description"]
        first = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "app-retry-1"})
        again = client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "app-retry-1"})
        assert first.status_code == again.status_code == 201, (first.text, again.text)
        assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert count(web_gateway) == before + 1


def test_text_that_is_not_utf8_is_refused_by_the_form_and_open311(web_gateway: Gateway) -> None:
    before = count(web_gateway)
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        fields = {**form_values("complete"), "csrf": csrf, "form_key": key}
        parts = {name: (None, value.encode()) for name, value in fields.items()}
        parts["content"] = (None, b"\xff\xfe\xfd rac thai")  # raw bytes, not UTF-8
        answer = client.post("/submit", files=parts)
        assert answer.status_code == 400, answer.text
        assert "UTF-8" in answer.text and "content" in answer.text
    with client_for(web_gateway) as client:
        body = (
            f"api_key={OPEN311_KEY}&service_code=moi-truong-do-thi&address_string=Tran%20Phu"
            "&description=%C3%28abc"  # an invalid UTF-8 sequence, percent-encoded
        ).encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
        answer = client.post("/open311/v2/requests.json", content=body, headers=headers)
        assert answer.status_code == 400 and "description" in answer.json()[0]["description"], answer.text
        raw = body.replace(b"%C3%28abc", b"\xff\xfe\xfd")  # raw bytes in the body
        assert client.post("/open311/v2/requests.json", content=raw, headers=headers).status_code == 400
        as_json = client.post("/open311/v2/requests.json", json={"api_key": OPEN311_KEY})
        assert as_json.status_code == 415
    assert count(web_gateway) == before


def test_open311_media_url_must_be_http(web_gateway: Gateway) -> None:
    form = {
        "api_key": OPEN311_KEY,
        "service_code": "moi-truong-do-thi",
        "description": "Cống thoát nước trước số 5 đường Yersin bị tắc, nước tràn lên mặt đường.",
        "address_string": "số 5 đường Yersin, phường Nha Trang, tỉnh Khánh Hòa",
    }
    for url in ("javascript:alert(1)", "data:text/html,<script>", "file:///etc/passwd", "http://"):
        with client_for(web_gateway) as client:  # each its own client: the rate limit is 3 posts
            answer = client.post("/open311/v2/requests.json", data={**form, "media_url": url})
        assert answer.status_code == 400 and "media_url" in answer.json()[0]["description"], url
    with client_for(web_gateway) as client:
        ok = client.post("/open311/v2/requests.json", data={**form, "media_url": "https://anh.example.vn/1.jpg"})
        assert ok.status_code == 201, ok.text
        code = ok.json()[0]["service_request_id"]
        assert client.get(f"/open311/v2/requests/{code}.json").json()[0]["media_url"] == "https://anh.example.vn/1.jpg"
        # A row stored before the check holding javascript: is never served back.
        ((raw,),) = journal_rows(web_gateway, "select raw from submissions where tracking_code = ?", code)
        old = bytes(raw).replace(b"https://anh.example.vn/1.jpg", b"javascript:alert(1)")
        web_gateway.journal("update submissions set raw = ? where tracking_code = ?", old, code)
        assert client.get(f"/open311/v2/requests/{code}.json").json()[0]["media_url"] is None


def test_uploads_are_kept_under_their_contents_extension(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        data = {**form_values("complete"), "csrf": csrf, "form_key": key}
        fake = b"\x89PNG\r\n\x1a\n<?php system($_GET['c']); ?>"
        refused = client.post("/submit", data=data, files=[("files", ("shell.php", fake, "image/png"))])
        assert refused.status_code == 422 and 'data-code="file-type"' in refused.text
        kept = client.post("/submit", data=data, files=[("files", ("shell.php", png(), "image/png"))])
        assert kept.status_code == 303, kept.text
    code = receipt_code(kept)
    ((raw,),) = journal_rows(web_gateway, "select raw from submissions where tracking_code = ?", code)
    assert b'"filename":"shell.png"' in raw and b"shell.php" not in raw


def test_names_follow_the_content() -> None:
    assert uploads.name_for("shell.php", "image/png") == "shell.png"
    assert uploads.name_for("anh.JPEG", "image/jpeg") == "anh.JPEG"
    assert uploads.name_for("bien-ban", "application/pdf") == "bien-ban.pdf"
    assert uploads.name_for("x.png.exe", "image/png") == "x.png.png"
    assert uploads.well_formed(png(), "image/png")
    assert not uploads.well_formed(b"\x89PNG\r\n\x1a\n<?php ?>", "image/png")
    assert not uploads.well_formed(b"\xff\xd8\xff<?php ?>", "image/jpeg")
    assert not uploads.well_formed(b"%PDF-1.4 <?php ?>", "application/pdf")


def test_a_refused_post_leaves_no_file_behind(web_gateway: Gateway) -> None:
    store = web_gateway.data_dir / "attachments"

    def files() -> set[str]:
        return {p.name for p in store.rglob("*") if p.is_file()} if store.exists() else set()

    before = files()
    photo = png()[:-12] + b"unique-to-this-test" + png()[-12:]  # still ends with IEND
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        fields = {**form_values("complete"), "form_key": key}
        upload = [("files", ("anh.png", photo, "image/png"))]
        assert client.post("/submit", data={**fields, "csrf": "forged"}, files=upload).status_code == 403
        assert client.post("/submit", data={**fields, "csrf": csrf, "website": "x"}, files=upload).status_code == 400
        parts = {name: (None, value.encode()) for name, value in {**fields, "csrf": csrf}.items()}
        parts["name"] = (None, b"Nguy\xe1n")
        assert client.post("/submit", files={**parts, "files": ("anh.png", photo, "image/png")}).status_code == 400
    assert files() == before
