"""Rule: what the submitter left out of the fields but wrote in the content (email, chat, free text)."""

from __future__ import annotations

from types import MappingProxyType

from normalizer.fields.contacts import find_emails, find_name
from normalizer.fields.phones import find_phones
from normalizer.fields.places import find_place
from normalizer.fields.times import find_incident_time
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import PlaceMatch, evolve


def _names_a_place(place: PlaceMatch) -> bool:
    """A matched unit, or a named street or landmark; "số 4" alone (a house number) is not a place."""
    if place.province_code or place.commune_code:
        return True
    return any(word.isalpha() and word.casefold() not in ("số", "so") for word in place.text.split())


class ExtractFromContent:
    name = "extract-from-content"
    description = "Finds the phone, email, name, time and place in the content when their fields are empty."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        content = draft.text("content")
        if not content:
            return RuleResult(draft)
        found: dict[str, str] = {}
        if not draft.text("phone"):
            candidates = find_phones(content)
            phones = [p for p in candidates if p.valid] or list(candidates)
            if phones:
                found["phone"] = phones[0].text
        if not draft.text("email") and (emails := find_emails(content)):
            found["email"] = emails[0]
        if not draft.text("name") and (name := find_name(content)):
            found["name"] = name
        if not draft.text("incident_time") and (when := find_incident_time(content, draft.submission.received_at)):
            found["incident_time"] = when.matched
        place = None
        if not draft.text("location"):
            place = find_place(content, hint_province=context.province_code)
            if place is not None and not _names_a_place(place):
                place = None
            if place is not None:
                found["location"] = place.text
        if not found:
            return RuleResult(draft)
        texts = MappingProxyType({**draft.texts, **found})
        case = evolve(
            draft.case,
            name=found.get("name", draft.case.name),
            incident_time_text=found.get("incident_time", draft.case.incident_time_text),
            location=place or draft.case.location,
        )
        return RuleResult(Draft(draft.submission, texts, case))
