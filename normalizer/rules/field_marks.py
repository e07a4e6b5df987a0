"""Rule: the name, place, address and time written with diacritics too, not only the content.

The provincial rules ask for Vietnamese with diacritics and the submitter's full identity.  What the
gateway can restore it does and says so (a place matched to its administrative units, a time it read);
what it cannot guess (a name) it asks for again.  Every field is judged in the same pass, so the
citizen hears about all of them at once.
"""

from __future__ import annotations

from typing import Any

from normalizer.fields.places import match_place
from normalizer.pipeline import Context, Draft, RuleResult
from normalizer.text import typed_without_marks
from normalizer.text.syllables import NEEDS_MARKS, classify
from pakn.records import Finding, PlaceMatch, Severity

# A name is judged when it has three Vietnamese words ("Tran Van Hung") or one that needs marks
# ("Nguyen An"); "Mai Lan" may be written right as it is.
MIN_NAME_WORDS = 3


def _units(place: PlaceMatch | None) -> str | None:
    """The matched units, as the gateway's data spells them ("Phường Nha Trang, Khánh Hòa")."""
    if place is None or not (place.commune or place.province):
        return None
    province = (place.province or "").removeprefix("Tỉnh ").removeprefix("Thành phố ")
    return ", ".join(part for part in (place.commune, province) if part)


class FieldDiacritics:
    name = "field-diacritics"
    description = (
        "Name, place, address and time without diacritics: a place matched to its units or a time read is kept"
        " and recorded; a name, or a place or time that cannot be read, is asked for again."
    )

    def check(self, draft: Draft, context: Context) -> RuleResult:
        findings: list[Finding] = []
        name = draft.text("name")
        words = typed_without_marks(name) if name else None
        if words and (len(words) >= MIN_NAME_WORDS or any(classify(w) == NEEDS_MARKS for w in words)):
            findings.append(
                context.finding(self.name, "name-no-diacritics", Severity.NEEDS_INFORMATION, "name", name=name)
            )
        location = draft.text("location")
        if location and typed_without_marks(location):
            findings.append(self._place(context, "location", "place", location, draft.case.location))
        address = draft.text("address")
        if address and typed_without_marks(address):
            match = match_place(address, hint_province=context.province_code)
            findings.append(self._place(context, "address", "address", address, match))
        when = draft.text("incident_time")
        if when and typed_without_marks(when):
            if draft.case.incident_time is not None:
                findings.append(
                    context.finding(
                        self.name,
                        "incident-time-read",
                        Severity.INFO,
                        "incident_time",
                        time=when,
                        value=draft.case.incident_time.strftime("%H:%M ngày %d/%m/%Y"),
                    )
                )
            else:
                findings.append(
                    context.finding(
                        self.name, "incident-time-no-diacritics", Severity.NEEDS_INFORMATION, "incident_time", time=when
                    )
                )
        return RuleResult(draft, tuple(findings))

    def _place(self, context: Context, field: str, param: str, text: str, match: PlaceMatch | None) -> Finding:
        """A place written without marks: restored when its units are known, else asked for again."""
        units = _units(match)
        quoted: dict[str, Any] = {param: text}
        if units:
            return context.finding(self.name, f"{field}-restored", Severity.INFO, field, **quoted, units=units)
        return context.finding(self.name, f"{field}-no-diacritics", Severity.NEEDS_INFORMATION, field, **quoted)
