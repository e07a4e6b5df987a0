"""Rule: the submitter's name, tidied (spaces, capitals) without touching its diacritics."""

from __future__ import annotations

from normalizer.fields.contacts import normalize_name
from normalizer.pipeline import Context, Draft, Outcome
from pakn.records import evolve


class Identity:
    name = "identity"
    description = "Normalizes the submitter's name."

    def check(self, draft: Draft, context: Context) -> Outcome:
        name = draft.text("name")
        if not name:
            return Outcome(draft)
        return Outcome(draft.with_case(evolve(draft.case, name=normalize_name(name) or None)))
