"""The case contract: payloads built from real normalizer output validate against docs/case-schema.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from config.settings import Settings
from dispatcher.contract import AttachmentLinks, case_payload, encode
from normalizer import context_from_settings, normalize
from pakn.journal import StoredSubmission
from pakn.records import Attachment, Channel, Status, Submission, SubmissionFields, Verdict
from tests.conftest import REPO
from tests.samples import submission

SCHEMA = json.loads((REPO / "docs" / "case-schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
CONTEXT = context_from_settings(Settings())
PHOTO = Attachment("anh-o-ga.jpg", "image/jpeg", 48213, "a" * 64)


def payload_for(index: int, **changes: object) -> dict[str, object]:
    body = {k: v for k, v in submission(index, **changes).items() if k != "idempotency_key"}
    raw = json.dumps(body).encode()
    fields = SubmissionFields(**body, attachments=(PHOTO,))  # type: ignore[arg-type]
    received = datetime(2024, 10, 16, 2, 0, tzinfo=UTC)
    result = normalize(Submission(Channel.API, received, fields), CONTEXT)
    assert result.verdict is Verdict.ACCEPTED, result.findings
    stored = StoredSubmission(
        1,
        "PAKN-7K2M-Q9XC",
        Channel.API,
        "app-1",
        "application/json",
        raw,
        received,
        Status.ACCEPTED,
        "accepted",
        [],
        None,
        received,
        1,
        None,
        None,
    )
    links = AttachmentLinks("https://pakn.example.gov.vn", b"secret")
    return json.loads(encode(case_payload(stored, result, (PHOTO,), links)))


@pytest.mark.parametrize("index", range(0, 40, 3))
def test_real_payloads_follow_the_schema(index: int) -> None:
    VALIDATOR.validate(payload_for(index))


def test_the_schema_is_strict_enough_to_catch_drift() -> None:
    payload = payload_for(0)
    VALIDATOR.validate(payload)
    broken = [
        {**payload, "unexpected": 1},
        {**payload, "tracking_code": "PAKN-1234"},
        {**payload, "submitter": {**payload["submitter"], "phone": "0905123456"}},  # type: ignore[dict-item]
        {k: v for k, v in payload.items() if k != "content"},
        {**payload, "urgency": "very"},
    ]
    for candidate in broken:
        assert list(VALIDATOR.iter_errors(candidate)), candidate


def test_attachments_carry_a_signed_link_and_confidential_is_explicit() -> None:
    payload = payload_for(10)  # every tenth sample asks for confidentiality
    (attachment,) = payload["attachments"]  # type: ignore[misc]
    assert attachment["sha256"] == "a" * 64
    assert attachment["url"].startswith("https://pakn.example.gov.vn/api/v1/attachments/" + "a" * 64 + "?expires=")
    assert payload["submitter"]["confidential"] is True  # type: ignore[index]
