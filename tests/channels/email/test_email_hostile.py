"""Broken and hostile MIME (issue #16): what the parser recovers, what it marks, what it never lets through.

Parse-level: the fixtures of tests/fixtures/email/make_fixtures.py ``hostile()``, no server needed.  The
same mails go through the SMTP listener and a worker in test_email_smtp.py.
"""

from __future__ import annotations

import base64
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.email.loops import automatic_kind
from channels.email.parse import (
    MAX_NESTED_PARTS,
    damage_of,
    fields_from_raw,
    lenient_base64,
    parse_mail,
    safe_filename,
)
from config.settings import Settings
from normalizer import context_from_settings, normalize
from pakn.records import Channel, Defect, Severity, Submission, SubmissionFields
from tests.channels.email.conftest import fixture

OWN = ("pakn@khanhhoa.gov.vn", "@phananh.khanhhoa.gov.vn")
OPENING = "Kính gửi Ban tiếp công dân,\n\nĐèn đường trước nhà số 12 đường Trần Phú, phường Nha Trang"


def test_multipart_without_boundary_is_read_as_text_and_the_defect_recorded() -> None:
    fields = fields_from_raw(fixture("no_boundary.eml"))
    assert isinstance(fields.content, str) and fields.content.startswith(OPENING)
    assert "Nguyễn Văn An" in fields.content
    assert fields.defects == (Defect("email-no-boundary"),)


def test_multipart_without_boundary_but_delimited_parts_is_read_by_its_first_delimiter() -> None:
    mail = parse_mail(fixture("no_boundary_parts.eml"))
    assert mail.text.startswith(OPENING) and "Content-Type" not in mail.text and "b1_5f3a9c" not in mail.text
    assert [(p.filename, p.damaged) for p in mail.parts] == [("den-duong.jpg", None)]
    assert mail.defects == (Defect("email-no-boundary"),)


def test_a_jpeg_with_data_after_its_end_marker_is_whole() -> None:
    jpeg = b"\xff\xd8\xff\xe1" + bytes(70_000) + b"\xff\xd9"
    assert damage_of(jpeg + b"\x00\x00\x00\x18ftypmp42" + bytes(200_000)) is None  # a motion photo's video
    assert damage_of(jpeg[:-2]) == "truncated"
    thumbnail = b"\xff\xd8\xff\xe1" + bytes(100) + b"\xff\xd9" + bytes(200_000)  # only an EXIF thumbnail's EOI
    assert damage_of(thumbnail) == "truncated"


def test_damaged_base64_loses_only_the_broken_bytes_and_says_so() -> None:
    fields = fields_from_raw(fixture("bad_base64.eml"))
    assert isinstance(fields.content, str)
    assert "Kính gửi Ban tiếp công dân" in fields.content and "gá»" not in fields.content
    assert "Đề nghị cơ quan chức năng kiểm tra, sửa chữa." in fields.content  # after both damaged lines
    assert fields.defects == (Defect("email-damaged-text"),)


def test_valid_base64_of_any_line_length_is_not_damaged() -> None:
    data = "Kính gửi Ban tiếp công dân".encode() * 20
    encoded = base64.b64encode(data)
    wrapped = b"\r\n".join(encoded[i : i + 73] for i in range(0, len(encoded), 73))  # 73: not a multiple of 4
    assert lenient_base64(wrapped) == (data, False)
    assert parse_mail(fixture("base64.eml")).defects == ()


@given(st.binary(max_size=600), st.integers(min_value=0, max_value=10_000), st.sampled_from(list("!*é%\x00")))
def test_one_broken_character_costs_at_most_its_line(data: bytes, where: int, bad: str) -> None:
    encoded = base64.encodebytes(data)
    lines = encoded.split(b"\n")
    if not data:
        return
    i = where % max(len(encoded) - 1, 1)
    if encoded[i : i + 1] == b"\n":
        return
    broken = encoded[:i] + bad.encode() + encoded[i + 1 :]
    decoded, lost = lenient_base64(broken)
    assert lost
    # every whole line other than the broken one comes back, in order
    line_of = encoded[:i].count(b"\n")
    before = base64.b64decode(b"".join(lines[:line_of]))
    after = base64.b64decode(b"".join(lines[line_of + 1 :]))
    assert decoded.startswith(before) and decoded.endswith(after)
    assert len(decoded) >= len(data) - 57  # one line of 76 characters holds 57 bytes


def test_control_characters_are_stripped_tabs_and_line_ends_kept() -> None:
    fields = fields_from_raw(fixture("control_chars.eml"))
    content = fields.content
    assert isinstance(content, str) and content.startswith(OPENING)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in content)
    assert "[31m" not in content and "\x1b" not in content
    assert "Đèn đường trước nhà" in content and "không sáng" in content
    # ... and from the headers the name and subject are taken from.
    raw = fixture("plain_utf8.eml").replace(b"Subject: Phan anh", b"Subject: Phan\x00 anh\x1b[2J")
    raw = raw.replace(b'From: "=?UTF-8?B?', b'From: "Nguy\x00en\x07 =?UTF-8?B?')
    mail = parse_mail(raw)
    assert (mail.subject, mail.from_name) == ("Phan anh den duong", "Nguyen Nguyễn Văn An")


def test_truncated_files_are_kept_but_marked_damaged() -> None:
    parts = {p.filename: p for p in parse_mail(fixture("truncated_files.eml")).parts}
    assert parts["IMG_0412.jpg"].damaged == "truncated"  # no FFD9
    assert parts["don-phan-anh.pdf"].damaged == "truncated"  # no %%EOF
    assert parts["IMG_0413.jpg"].damaged is None  # whole
    fields = fields_from_raw(fixture("truncated_files.eml"))
    assert {a.filename for a in fields.attachments} == set(parts)  # kept all the same
    assert fields.defects == (
        Defect("email-attachment-damaged", "IMG_0412.jpg"),
        Defect("email-attachment-damaged", "don-phan-anh.pdf"),
    )
    # A mail cut off inside its last part: that part is the one cut short, whatever its format.
    (doc,) = parse_mail(fixture("unterminated.eml")).parts
    assert (doc.filename, doc.damaged) == ("don.doc", "truncated")
    assert fields_from_raw(fixture("unterminated.eml")).content == fields_from_raw(fixture("plain_utf8.eml")).content


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("own_address.eml", "own-address"),
        ("qmail_bounce.eml", "bounce"),
        ("bounce_dsn.eml", "bounce"),
        ("out_of_office.eml", "auto-reply"),
        ("auto_reply.eml", "auto-reply"),
        ("newsletter.eml", "newsletter"),
        ("mailing_list.eml", "newsletter"),
        ("noreply_notice.eml", "notice"),
        ("plain_utf8.eml", None),
        ("multipart_photo.eml", None),
        ("no_boundary.eml", None),
    ],
)
def test_mail_no_person_wrote_is_recognised_by_kind(name: str, kind: str | None) -> None:
    assert automatic_kind(parse_mail(fixture(name)), OWN) == kind


def test_a_sender_at_one_of_our_domains_is_our_own_address() -> None:
    raw = fixture("plain_utf8.eml").replace(b"an.nguyen@example.vn>", b"hop-thu@phananh.khanhhoa.gov.vn>")
    assert automatic_kind(parse_mail(raw), OWN) == "own-address"


def test_attachment_names_are_stored_as_safe_base_names_the_original_kept_for_display() -> None:
    parts = parse_mail(fixture("traversal_names.eml")).parts
    assert [(p.filename, p.original_filename) for p in parts] == [
        ("passwd", "../../etc/passwd"),
        ("win.ini", "..\\..\\Windows\\win.ini"),
    ]
    assert [a.filename for a in fields_from_raw(fixture("traversal_names.eml")).attachments] == ["passwd", "win.ini"]


@given(st.text(max_size=300))
def test_a_safe_filename_never_leaves_its_directory(name: str) -> None:
    safe = safe_filename(name, "part-1")
    assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in safe)
    assert len(safe.encode()) <= 200


def test_deeply_nested_mail_is_not_parsed_past_the_cap_and_is_unreadable() -> None:
    raw = fixture("nested_1000.eml")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # the cap must hold whatever the stack: the body is never parsed recursively
    try:
        mail = parse_mail(raw)  # headers only: the rejection notice can be composed from it
        assert mail.too_deep and mail.message_id == "CAJ7deep@mail.gmail.com"
        assert mail.from_address == "binh.tran@gmail.com"
        with pytest.raises(ValueError, match=str(MAX_NESTED_PARTS)):
            fields_from_raw(raw)
    finally:
        sys.setrecursionlimit(limit)
    # A few levels (forwarded mail inside forwarded mail) are read as usual.
    assert not parse_mail(fixture("multipart_photo.eml")).too_deep


def test_empty_body_is_asked_what_every_channel_asks_the_sender_being_the_contact() -> None:
    """An empty mail lacks what required_fields.toml requires of every channel, less what its headers give:
    the sender's address is the contact, the display name the name; the same fields from the web form
    are asked the same things."""
    fields = fields_from_raw(fixture("empty_body.eml"))
    assert fields.content is None
    assert (fields.name, fields.email) == ("Trần Thị Bình", "binh.tran@gmail.com")
    context = context_from_settings(Settings())
    now = datetime.now(UTC)
    by_mail = normalize(Submission(Channel.EMAIL, now, fields), context)
    by_form = normalize(Submission(Channel.WEB, now, SubmissionFields(name=fields.name, email=fields.email)), context)
    missing = [f.code for f in by_mail.findings if f.severity is Severity.NEEDS_INFORMATION]
    assert missing == ["missing-content", "missing-incident_time", "missing-location"]
    assert missing == [f.code for f in by_form.findings if f.severity is Severity.NEEDS_INFORMATION]
    assert context.catalog.required_fields.for_channel("email") == context.catalog.required_fields.for_channel("web")
    # Without a display name the name is asked for too, never the contact (the address answers).
    nameless = fixture("empty_body.eml").replace(b"From: =?UTF-8?B?", b"X-From: =?UTF-8?B?")
    nameless = nameless.replace(b"\r\nX-From:", b"\r\nFrom: binh.tran@gmail.com\r\nX-From:")
    no_name = normalize(Submission(Channel.EMAIL, now, fields_from_raw(nameless)), context)
    assert [f.code for f in no_name.findings if f.severity is Severity.NEEDS_INFORMATION] == [*missing, "missing-name"]
