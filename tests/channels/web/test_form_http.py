"""The citizen form without a browser: what the server checks on its own (nothing typed is lost)."""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid

from tests.channels.web.conftest import (
    FIXTURES,
    client_for,
    form_values,
    journal_rows,
    open_form,
    receipt_code,
    web_gateway,
)
from tests.conftest import Gateway, wait_until

__all__ = ["web_gateway"]


def test_a_complete_form_is_journaled_once_with_its_photo(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        data = {**form_values("complete"), "csrf": csrf, "form_key": key}
        files = [("files", ("ảnh hiện trường.jpg", (FIXTURES / "photo.jpg").read_bytes(), "image/jpeg"))]
        first = client.post("/submit", data=data, files=files)
        assert first.status_code == 303
        code = receipt_code(first)
        again = client.post("/submit", data=data, files=files)  # the same form sent twice: one submission
        assert receipt_code(again) == code
        receipt = client.get(f"/receipt/{code}")
        assert code in receipt.text and "Đã nhận phản ánh" in receipt.text
        assert receipt.headers["content-security-policy"].startswith("default-src 'self'")
    ((channel, content_type, raw),) = journal_rows(
        web_gateway, "select channel, content_type, raw from submissions where tracking_code = ?", code
    )
    assert (channel, content_type) == ("web", "application/vnd.pakn.web+json")
    assert b'"content_type":"image/jpeg"' in raw and "ảnh hiện trường.jpg".encode() in raw
    assert b"csrf" not in raw


def test_problems_come_back_marked_and_nothing_typed_is_lost(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        values = form_values("incomplete_no_diacritics")
        files = [("files", ("photo.jpg", (FIXTURES / "photo.jpg").read_bytes(), "image/jpeg"))]
        page = client.post("/submit", data={**values, "csrf": csrf, "form_key": key}, files=files)
        assert page.status_code == 422
        html = page.text
        summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
        for field in ("content", "incident_time", "phone"):
            assert f'href="#{field}"' in summary
            assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html), field
        assert 'data-code="no-diacritics"' in html and 'data-code="missing-incident_time"' in html
        assert values["content"] in html and values["name"] in html and key in html
        kept = re.findall(r'name="kept" value="([^"]+)"', html)
        assert len(kept) == 1, "the photo is kept for the corrected post"
        fixed = {**form_values("complete"), "csrf": csrf, "form_key": key, "kept": kept[0]}
        done = client.post("/submit", data=fixed)
        assert done.status_code == 303
    code = receipt_code(done)
    ((raw,),) = journal_rows(web_gateway, "select raw from submissions where tracking_code = ?", code)
    assert b'"filename":"photo.jpg"' in raw


def test_a_kept_photo_is_kept_young_while_used_and_asked_again_once_swept(web_gateway: Gateway) -> None:
    """The sweeper removes uploads nobody sent after ABANDONED_UPLOAD_HOURS; a form still carrying one
    makes it young again, and one whose photo is gone asks for it again instead of journaling a dead link."""
    photo = (FIXTURES / "photo.jpg").read_bytes()
    digest = hashlib.sha256(photo).hexdigest()
    path = web_gateway.data_dir / "attachments" / digest[:2] / digest
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        values = form_values("incomplete_no_diacritics")
        files = [("files", ("photo.jpg", photo, "image/jpeg"))]
        page = client.post("/submit", data={**values, "csrf": csrf, "form_key": key}, files=files)
        assert page.status_code == 422
        (kept,) = re.findall(r'name="kept" value="([^"]+)"', page.text)
        old = time.time() - 3 * 24 * 3600
        os.utime(path, (old, old))
        again = client.post("/submit", data={**values, "csrf": csrf, "form_key": key, "kept": kept})
        assert again.status_code == 422 and 'data-code="file-gone"' not in again.text
        assert path.stat().st_mtime > time.time() - 600, "in use again: young, the sweeper spares it"
        path.unlink()  # what the sweeper does to an upload nobody sent
        fixed = {**form_values("complete"), "csrf": csrf, "form_key": key, "kept": kept}
        gone = client.post("/submit", data=fixed)
        assert gone.status_code == 422 and 'data-code="file-gone"' in gone.text and "photo.jpg" in gone.text
        assert not re.findall(r'name="kept" value="([^"]+)"', gone.text)
    with client_for(web_gateway) as client:  # chosen again (a client of its own: the posts' allowance)
        csrf, key = open_form(client)
        done = client.post("/submit", data={**form_values("complete"), "csrf": csrf, "form_key": key}, files=files)
        assert done.status_code == 303 and path.exists()


def test_uploads_are_judged_by_their_bytes_and_size(web_gateway: Gateway) -> None:
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        data = {**form_values("complete"), "csrf": csrf, "form_key": key}
        exe = (FIXTURES / "setup.exe").read_bytes()
        refused = client.post("/submit", data=data, files=[("files", ("anh.jpg", exe, "image/jpeg"))])
        assert refused.status_code == 422
        assert 'data-code="file-type"' in refused.text and "anh.jpg" in refused.text
        big = b"\xff\xd8\xff" + b"0" * 300_000
        too_big = client.post("/submit", data=data, files=[("files", ("lon.jpg", big, "image/jpeg"))])
        assert too_big.status_code == 422 and 'data-code="file-too-large"' in too_big.text
    with client_for(web_gateway) as client:
        csrf, key = open_form(client)
        huge = b"\xff\xd8\xff" + b"0" * 1_100_000
        answer = client.post("/submit", data={"csrf": csrf}, files=[("files", ("x.jpg", huge, "image/jpeg"))])
        assert answer.status_code == 413 and "quá lớn" in answer.text


def test_csrf_honeypot_and_hints_guard_the_form(web_gateway: Gateway) -> None:
    values = form_values("complete")
    with client_for(web_gateway) as client:
        no_token = client.post("/submit", data={**values, "form_key": uuid.uuid4().hex})
        assert no_token.status_code == 403
        assert "Phiên làm việc" in no_token.text and values["content"] in no_token.text
        csrf, key = open_form(client)
        bot = client.post("/submit", data={**values, "csrf": csrf, "form_key": key, "website": "http://spam"})
        assert bot.status_code == 400
        assert journal_rows(web_gateway, "select count(*) from submissions where source_id = ?", f"web:{key}") == [(0,)]
        assert client.post("/hints", json={"content": "x"}).status_code == 403
        hints = client.post("/hints", json={"content": values["content"]}, headers={"x-csrf-token": csrf}).json()
        assert {f["code"] for f in hints["findings"]} >= {"missing-incident_time", "missing-location"}
        assert hints["category"]["code"] == "moi-truong-do-thi"


def test_lookup_shows_status_and_hides_a_confidential_identity(web_gateway: Gateway) -> None:
    codes = {}
    with client_for(web_gateway) as client:
        for confidential in (False, True):
            csrf, key = open_form(client)
            data = {**form_values("complete"), "csrf": csrf, "form_key": key}
            if confidential:
                data["confidential"] = "on"
            codes[confidential] = receipt_code(client.post("/submit", data=data))
        for code in codes.values():
            wait_until(
                lambda code=code: 'data-status="received"' not in client.get(f"/lookup?code={code}").text,
                30,
                "the normalizer's verdict",
            )
        public = client.get(f"/lookup?code={codes[False].lower().replace('-', ' ')}").text
        assert "Nguyễn Văn An" in public and "0905123456" not in public
        hidden = client.get(f"/lookup?code={codes[True]}").text
        assert "Được giữ bí mật" in hidden and "Nguyễn Văn An" not in hidden and "0905123456" not in hidden
        assert client.get("/lookup?code=PAKN-0000-0000").status_code in (404, 422)
        invalid = client.get("/lookup?code=hello")
        assert invalid.status_code == 422 and 'aria-invalid="true"' in invalid.text
