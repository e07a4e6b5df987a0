"""Rule: the field (lĩnh vực), the urgency and the due time, from config/data/categories.toml."""

from __future__ import annotations

from normalizer.fields.classify import classify
from normalizer.fields.workdays import add_working_days
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import evolve


class Classification:
    name = "classification"
    description = "Classifies the field; urgent infrastructure incidents are due in 1 working day, others later."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        result = classify(draft.case.content, context.categories)
        category, days = result.category, result.due_working_days
        chosen = draft.submission.fields.category
        if chosen and chosen != category and chosen in {c.code for c in context.categories.categories}:
            # A person (an operator) chose the field: theirs wins; urgency still comes from the words.
            category = chosen
            chosen_days = context.categories.by_code(chosen).due_working_days
            if not result.urgent:
                days = chosen_days if chosen_days is not None else context.categories.due_working_days
        received = draft.submission.received_at.astimezone(context.timezone)
        due = add_working_days(received, days, context.calendar)
        case = evolve(draft.case, category=category, urgency="urgent" if result.urgent else "normal", due_at=due)
        return RuleResult(draft.with_case(case))
