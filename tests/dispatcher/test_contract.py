"""The case contract: payloads built from real normalizer output validate against docs/case-schema.json (1.2),
and older receivers keep working: each version's body is the one before plus keys, and a store pinned to
an older version gets that version's body."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from config.settings import Settings
from dispatcher.contract import SCHEMA_VERSION, AttachmentLinks, case_payload, encode
from dispatcher.sinks import CircuitBreaker, DeliveryOutcome, HttpSink
from normalizer import context_from_settings, normalize
from pakn.records import Attachment, Channel, Status, StoredSubmission, Submission, SubmissionFields, Verdict
from tests.conftest import REPO
from tests.samples import submission
from tests.standins.case_store import CaseStoreStandIn

SCHEMA = json.loads((REPO / "docs" / "case-schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
SCHEMA_1_0 = json.loads((REPO / "docs" / "case-schema-1.0.json").read_text())
VALIDATOR_1_0 = jsonschema.Draft202012Validator(SCHEMA_1_0, format_checker=jsonschema.FormatChecker())
SCHEMA_1_1 = json.loads((REPO / "docs" / "case-schema-1.1.json").read_text())
VALIDATOR_1_1 = jsonschema.Draft202012Validator(SCHEMA_1_1, format_checker=jsonschema.FormatChecker())
ADDED_IN_1_1 = ("suggested_agency", "level", "routing_reason", "subject")
ADDED_IN_1_2 = ("summary",)
CONTEXT = context_from_settings(Settings())
PHOTO = Attachment("anh-o-ga.jpg", "image/jpeg", 48213, "a" * 64)


def payload_for(index: int, version: str = SCHEMA_VERSION, **changes: object) -> dict[str, object]:
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
    # one clock for every body: two bodies built across a second boundary would carry two expiries
    links = AttachmentLinks("https://pakn.example.gov.vn", b"secret", clock=lambda: 1_796_636_000.0)
    return json.loads(encode(case_payload(stored, result, (PHOTO,), links, version)))


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


@pytest.mark.parametrize("index", range(0, 40, 3))
def test_version_1_1_only_adds_keys_to_1_0(index: int) -> None:
    """What a 1.0 receiver reads of a 1.1 body (ignoring keys it does not know) is a valid 1.0 body."""
    newer = payload_for(index, "1.1")
    assert newer["schema_version"] == "1.1"
    assert all(key in newer for key in ADDED_IN_1_1)
    VALIDATOR_1_0.validate(
        {k: v for k, v in newer.items() if k not in ADDED_IN_1_1 and k != "schema_version"} | {"schema_version": "1.0"}
    )
    VALIDATOR_1_0.validate({k: v for k, v in newer.items() if k not in ADDED_IN_1_1})  # "1.1" matches 1.x too
    older = payload_for(index, "1.0")
    VALIDATOR_1_0.validate(older)  # strictly: a store pinned to 1.0 gets nothing it does not know
    assert older == {k: v for k, v in newer.items() if k not in ADDED_IN_1_1} | {"schema_version": "1.0"}
    assert list(VALIDATOR_1_0.iter_errors(newer)), "the strict 1.0 schema refuses the additions: hence the pin"


@pytest.mark.parametrize("index", range(0, 40, 7))
def test_version_1_2_only_adds_the_summary_to_1_1(index: int) -> None:
    """A 1.1 receiver that ignores unknown keys reads a valid 1.1 body; one pinned to 1.1 gets it exactly."""
    newer = payload_for(index)
    assert newer["schema_version"] == "1.2" and newer["summary"] is None  # the normalizer writes no summary
    VALIDATOR.validate(newer)
    older = payload_for(index, "1.1")
    VALIDATOR_1_1.validate(older)
    assert older == {k: v for k, v in newer.items() if k not in ADDED_IN_1_2} | {"schema_version": "1.1"}
    assert list(VALIDATOR_1_1.iter_errors(newer)), "the strict 1.1 schema refuses the summary: hence the pin"
    written = {**newer, "summary": "Nước thải quán ăn số 10 tràn vỉa hè, đề nghị kiểm tra."}
    VALIDATOR.validate(written)
    assert list(VALIDATOR.iter_errors({**newer, "summary": "x" * 2001})), "a summary is at most 2,000 characters"


def test_version_1_1_carries_the_suggestion_and_the_subject() -> None:
    payload = payload_for(0)  # "Đèn đường ... không sáng" in a commune of Khánh Hòa: an urgent local incident
    place = payload["place"]
    assert isinstance(place, dict) and place["commune"]
    commune = place["commune"][0].lower() + place["commune"][1:]
    assert payload["suggested_agency"] == f"UBND {commune}"
    assert payload["level"] == "commune"
    assert payload["routing_reason"] == (
        f"Sự cố hạ tầng đô thị tại {commune}, xử lý trong 1 ngày làm việc: chính quyền cấp xã nơi xảy ra sự cố."
    )
    assert payload["subject"] == "khong_xac_dinh"
    with pytest.raises(ValueError, match="schema version"):
        payload_for(0, "2.0")


def test_receivers_of_both_versions_take_their_body_signed() -> None:
    """The case-store stand-in as a 1.0 receiver: lenient per the doc, or strict with the 1.0 schema."""
    secret = b"s3cret-s3cret-s3cret"
    lenient = CaseStoreStandIn(secret).start()
    strict = CaseStoreStandIn(secret, schema=SCHEMA_1_0).start()
    try:
        for store, version, expected in (
            (lenient, "1.1", DeliveryOutcome.DELIVERED),
            (strict, "1.1", DeliveryOutcome.PERMANENT),
            (strict, "1.0", DeliveryOutcome.DELIVERED),
        ):
            body = encode(payload_for(3, version))
            key = f"pakn-PAKN-7K2M-Q9XC-{version}"
            sink = HttpSink(store.url, secret, timeout=5, breaker=CircuitBreaker(5, 10))
            delivery = sink.deliver(key, "PAKN-7K2M-Q9XC", body)
            assert delivery.outcome is expected, (version, delivery)
        assert lenient.cases["pakn-PAKN-7K2M-Q9XC-1.1"]["level"] in ("province", "commune")
        assert strict.cases["pakn-PAKN-7K2M-Q9XC-1.0"]["schema_version"] == "1.0"
        assert lenient.bad_signatures == strict.bad_signatures == 0
    finally:
        lenient.stop()
        strict.stop()
