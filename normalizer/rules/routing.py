"""Rule: the agency and level (province or commune) suggested for the case, from config/data/routing.toml.

Runs after the field, kind, subject and place are known: the level depends on all four.
"""

from __future__ import annotations

from normalizer.fields.routing import route
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import evolve


class Routing:
    name = "routing"
    description = "Suggests who should handle the case: the commune for local incidents, else the department."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        case = draft.case
        suggestion = route(
            context.routes,
            case.category,
            case.location,
            kind=case.kind,
            urgent=case.urgency == "urgent",
            subject=case.subject,
            province=context.province_name,
        )
        return RuleResult(draft.with_case(evolve(case, routing=suggestion)))
