"""Rule: turn every field into clean NFC text before anything else looks at it."""

from __future__ import annotations

from types import MappingProxyType

from normalizer.pipeline import Context, Draft, RuleResult
from normalizer.text import decode_bytes, repair_text
from pakn.records import FIELD_NAMES, Finding, PlaceMatch, Severity, evolve


class DecodeText:
    name = "decode-text"
    description = "Decodes bytes of any charset, repairs legacy encodings and mojibake, normalizes to NFC."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        fields = draft.submission.fields
        texts: dict[str, str | None] = {}
        repairs: dict[str, str] = {}
        for name in FIELD_NAMES:
            value = getattr(fields, name)
            if value is None:
                texts[name] = None
                continue
            if isinstance(value, bytes):
                decoded = decode_bytes(value)
                text, method = (
                    decoded.text,
                    decoded.encoding
                    if decoded.repaired
                    or decoded.encoding
                    not in (
                        "utf-8",
                        "utf-8-sig",
                    )
                    else None,
                )
            else:
                repaired = repair_text(value)
                text, method = repaired.text, repaired.method if repaired.changed else None
            if method and method != "nfc":
                repairs[name] = method
            texts[name] = text.strip() or None
        findings: list[Finding] = [
            context.finding(self.name, "encoding-repaired", Severity.INFO, field, encoding=method)
            for field, method in repairs.items()
        ]
        location = texts["location"]
        case = evolve(
            draft.case,
            content=texts["content"] or "",
            name=texts["name"],
            address=texts["address"],
            incident_time_text=texts["incident_time"],
            location=PlaceMatch(text=location) if location else None,
        )
        return RuleResult(Draft(draft.submission, MappingProxyType(texts), case), tuple(findings))
