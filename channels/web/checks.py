"""The normalizer's findings on a form as typed, field by field: live hints (JSON) and no-JS validation.

The same run as the worker's (``normalizer.normalize``) on a submission that is not stored: what the
page marks is exactly what would otherwise come back later as "needs information".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from config.settings import Settings
from normalizer.live import live_check
from pakn.records import Channel, Severity, SubmissionFields

# Fields of the form, in page order (the error summary follows it).
FORM_FIELDS = ("content", "incident_time", "location", "latitude", "name", "phone", "email", "address", "files")
# Findings about a field of the submitter that the normalizer only notes, but a form can have fixed.
_FIXABLE_INFO = frozenset({"invalid-phone", "invalid-email"})
# Where a finding is shown when it names no form field.
_FIELD_OF = {"contact": "phone", None: "content"}


@dataclass
class Problems:
    """Messages per form field, in the order the fields appear."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str, code: str = "") -> None:
        if message not in self.by_field.setdefault(name, []):
            self.by_field[name].append(message)
            self.codes.setdefault(name, []).append(code)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def ordered(self) -> list[tuple[str, str]]:
        return [(name, message) for name in FORM_FIELDS for message in self.by_field.get(name, [])]

    def count(self) -> int:
        return sum(len(m) for m in self.by_field.values())


def check_fields(fields: SubmissionFields, settings: Settings) -> dict[str, Any]:
    """What the normalizer says about these fields now (nothing stored): findings, field, place."""
    check = live_check(Channel.WEB, fields, settings)
    result, category = check.result, check.category
    place = result.case.location
    findings = [
        {
            "code": f.code,
            "severity": f.severity.value,
            "message": f.message,
            "field": _FIELD_OF.get(f.field, f.field),
        }
        for f in result.findings
        if f.severity is not Severity.INFO or f.code in _FIXABLE_INFO
    ]
    return {
        "verdict": result.verdict.value,
        "findings": findings,
        "category": category,
        "place": {"commune": place.commune, "province": place.province} if place and place.province else None,
    }


def add_findings(problems: Problems, checked: dict[str, Any]) -> None:
    for finding in checked["findings"]:
        problems.add(finding["field"] or "content", finding["message"], finding["code"])
