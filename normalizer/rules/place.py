"""Rule: the place matched to the post-2025 administrative units; outside the province is rejected."""

from __future__ import annotations

from normalizer.fields.places import is_in_jurisdiction, match_place, province_name
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import Severity, evolve


class Place:
    name = "place"
    description = "Matches the place (old addresses too) to a province and commune; another province is rejected."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        current = draft.case.location
        if current is None:
            return RuleResult(draft)
        match = current if current.province_code else match_place(current.text, hint_province=context.province_code)
        if match is None:
            return RuleResult(draft)
        draft = draft.with_case(evolve(draft.case, location=match))
        if is_in_jurisdiction(match, context.province_code) is False:
            finding = context.finding(
                self.name,
                "outside-jurisdiction",
                Severity.REJECT,
                "location",
                detail={"province_code": match.province_code},
                place=match.text,
                province=match.province or "",
                jurisdiction=province_name(context.province_code) or context.province_code,
            )
            return RuleResult(draft, (finding,))
        return RuleResult(draft)
