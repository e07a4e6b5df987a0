"""Rule: Vietnamese typed with the keyboard off (VIQR, Telex, VNI) converted back, in every text field."""

from __future__ import annotations

from types import MappingProxyType

from normalizer.pipeline import Context, Draft, Outcome
from normalizer.text.typed import convert_typed
from pakn.records import Finding, PlaceMatch, Severity, evolve

# The fields a citizen types words into (phone and e-mail are left to their own rules).
TEXT_FIELDS = ("content", "name", "address", "incident_time", "location")
SHOWN = 300  # characters of the converted text quoted back in the finding's message


class TypedWithoutKeyboard:
    name = "typed-without-keyboard"
    description = "Converts VIQR, Telex and VNI keystrokes (Vietnamese typed with the keyboard off) to Vietnamese."

    def check(self, draft: Draft, context: Context) -> Outcome:
        converted: dict[str, str] = {}
        findings: list[Finding] = []
        for field in TEXT_FIELDS:
            text = draft.texts.get(field)
            if not text:
                continue
            typed = convert_typed(text)
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
            return Outcome(draft)
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
        return Outcome(Draft(draft.submission, texts, case), tuple(findings))
