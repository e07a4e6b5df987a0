"""Rule: the submitter's name, tidied (spaces, capitals) without touching its diacritics."""

from __future__ import annotations

from normalizer.fields.contacts import normalize_name
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import evolve


class Identity:
    name = "identity"
    description = "Normalizes the submitter's name."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        name = draft.text("name")
        if not name:
            return RuleResult(draft)
        return RuleResult(draft.with_case(evolve(draft.case, name=normalize_name(name) or None)))
