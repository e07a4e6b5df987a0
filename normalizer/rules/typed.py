"""Rule: Vietnamese typed with the keyboard off (VIQR, Telex, VNI) converted back, in every text field."""

from __future__ import annotations

from types import MappingProxyType

from normalizer.pipeline import Context, Draft, RuleResult
from normalizer.text.typed import convert_typed
from pakn.records import Finding, PlaceMatch, Severity, evolve

# The fields a citizen types words into (phone and e-mail are left to their own rules).
TEXT_FIELDS = ("content", "name", "address", "incident_time", "location")
PROSE_FIELDS = ("content",)  # sentences; a name, address, place or time is not: a final "." is a tone
SHOWN = 300  # characters of the converted text quoted back in the finding's message


class TypedWithoutKeyboard:
    name = "typed-without-keyboard"
    description = "Converts VIQR, Telex and VNI keystrokes (Vietnamese typed with the keyboard off) to Vietnamese."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        converted: dict[str, str] = {}
        findings: list[Finding] = []
        for field in TEXT_FIELDS:
            text = draft.texts.get(field)
            if not text:
                continue
            typed = convert_typed(text, prose=field in PROSE_FIELDS)
            if typed is None:
                continue
            converted[field] = typed.text
            findings.append(
                context.finding(
                    self.name,
                    f"typed-as-{typed.convention}",
                    Severity.INFO,
                    field,
                    detail={"original": text, "words": dict(typed.words)},
                    text=typed.text if len(typed.text) <= SHOWN else typed.text[:SHOWN].rsplit(" ", 1)[0] + " …",
                )
            )
        if not converted:
            return RuleResult(draft)
        texts = MappingProxyType({**draft.texts, **converted})
        case = draft.case
        case = evolve(
            case,
            content=converted.get("content", case.content),
            name=converted.get("name", case.name),
            address=converted.get("address", case.address),
            incident_time_text=converted.get("incident_time", case.incident_time_text),
            location=PlaceMatch(text=converted["location"]) if "location" in converted else case.location,
        )
        return RuleResult(Draft(draft.submission, texts, case), tuple(findings))
