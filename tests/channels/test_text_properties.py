"""Only valid text leaves a channel (hypothesis): random and hostile bytes through every channel's parser and
the normalizer never raise out of the email parser nor the normalizer, and whatever comes out encodes as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.email.parse import fields_from_raw, parse_mail
from channels.hotline import payloads as hotline_payloads
from channels.readers import READERS
from channels.text import valid_fields, valid_text
from config.settings import Settings
from normalizer import context_from_settings, normalize
from pakn.records import Channel, Submission, SubmissionFields

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTEXT = context_from_settings(Settings())
FIXTURES = Path(__file__).parents[1] / "fixtures" / "email"

any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=100)
# Bytes that make mail headers hostile: 8-bit legacy Vietnamese, controls, encoded-word fragments.
header_bytes = st.lists(
    st.one_of(
        st.binary(min_size=1, max_size=8),
        st.sampled_from(
            [b"\xad", b"\xe5", b"\xd2", b"\xff", b"\x80", b"=?utf-8?b?", b"?=", b'"', b"<", b">", b"\r\n "]
        ),
        st.text(max_size=8).map(str.encode),
    ),
    max_size=12,
).map(b"".join)


def assert_valid(fields: SubmissionFields) -> None:
    """Every str a parser hands on encodes as UTF-8, hence as JSON and in the journal."""
    orjson.dumps(fields.as_json())
    for value in fields.as_json().values():
        if isinstance(value, str):
            value.encode("utf-8")


def hostile_mail(sender: bytes, subject: bytes, filename: bytes, body: bytes) -> bytes:
    return (
        b'From: "' + sender + b'" <an@example.vn>\r\nTo: pakn@khanhhoa.gov.vn\r\nSubject: ' + subject + b"\r\n"
        b"Message-ID: <" + sender.replace(b">", b"") + b"@example.vn>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        + body
        + b'\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="'
        + filename
        + b'"\r\n\r\nJVBERi0=\r\n--b--\r\n'
    )


@SETTINGS
@given(any_text)
def test_valid_text_always_encodes_and_leaves_valid_text_alone(text: str) -> None:
    out = valid_text(text)
    out.encode("utf-8")
    orjson.dumps(out)
    assert valid_text(out) == out
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert out is text, "text without surrogates is never touched"


@SETTINGS
@given(header_bytes, header_bytes, header_bytes, st.binary(max_size=200))
@example(b"Nguy\xadn V\xe5n An", b"Ph\xe1n \xe1nh", b"\xad\xe5.pdf", b"\xff\xfe")
def test_hostile_mails_parse_to_valid_text_and_normalize(
    sender: bytes, subject: bytes, filename: bytes, body: bytes
) -> None:
    raw = hostile_mail(sender, subject, filename, body)
    mail = parse_mail(raw)
    for text in (mail.subject, mail.from_name or "", mail.text, mail.signature, *(p.filename for p in mail.parts)):
        text.encode("utf-8")
    fields = fields_from_raw(raw)
    assert_valid(fields)
    result = normalize(Submission(Channel.EMAIL, datetime.now(UTC), fields), CONTEXT)
    orjson.dumps(result.case.as_json())
    orjson.dumps([f.as_json() for f in result.findings])


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_out_of_the_email_parser(raw: bytes) -> None:
    assert_valid(fields_from_raw(raw))


@SETTINGS
@given(st.sampled_from(sorted(READERS.parsers)), st.binary(max_size=200))
def test_any_parser_on_random_bytes_raises_or_gives_valid_text(content_type: str, raw: bytes) -> None:
    """A parser may refuse bytes (the submission is then `rejected`, unreadable); it never hands on bad text."""
    try:
        fields = READERS.fields_of(raw, content_type)
    except Exception:
        return
    assert_valid(fields)


@SETTINGS
@given(any_text, any_text)
def test_json_channels_with_lone_surrogate_escapes_give_valid_text(content: str, name: str) -> None:
    """JSON may escape lone surrogates ("\\ud800"): Python's json reads them into str."""
    telegram = json.dumps({"chat_id": 1, "fields": {"content": content, "name": name}}).encode()
    assert_valid(READERS.fields_of(telegram, "application/vnd.pakn.telegram+json"))
    sms = b"Body=" + content.encode("utf-8", "surrogatepass").replace(b"&", b"") + b"&From=%2B84905123456"
    try:
        fields = READERS.fields_of(sms, hotline_payloads.SMS_CONTENT_TYPE)
    except Exception:
        return
    assert_valid(fields)


@SETTINGS
@given(any_text, any_text, any_text)
def test_the_normalizer_on_repaired_fields_gives_json_encodable_results(content: str, name: str, place: str) -> None:
    fields = valid_fields(SubmissionFields(content=content, name=name, location=place, phone=name, email=place))
    assert_valid(fields)
    result = normalize(Submission(Channel.API, datetime.now(UTC), fields), CONTEXT)
    orjson.dumps(result.case.as_json())
    orjson.dumps([f.as_json() for f in result.findings])


def test_an_8bit_viscii_sender_and_cp1258_subject_are_read_as_vietnamese() -> None:
    """The real-world mail that stalled its batch: raw 8-bit VISCII display name, cp1258 subject."""
    raw = (FIXTURES / "viscii_sender.eml").read_bytes()
    assert b"Nguy\xadn V\xe5n An" in raw, "the fixture holds the raw 8-bit bytes"
    mail = parse_mail(raw)
    assert mail.from_name == "Nguyễn Văn An"
    assert mail.subject == "Phản ánh đèn đường"
    fields = fields_from_raw(raw)
    assert fields.name == "Nguyễn Văn An" and fields.email == "an.nguyen@example.vn"
    orjson.dumps(fields.as_json())
