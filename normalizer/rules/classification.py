"""Rule: the field (lĩnh vực), the urgency and the due time, from config/data/categories.toml."""

from __future__ import annotations

from normalizer.fields.classify import classify
from normalizer.fields.workdays import add_working_days
from normalizer.pipeline import Context, Draft, Outcome
from pakn.records import evolve


class Classification:
    name = "classification"
    description = "Classifies the field; urgent infrastructure incidents are due in 1 working day, others later."

    def check(self, draft: Draft, context: Context) -> Outcome:
        result = classify(draft.case.content, context.categories)
        received = draft.submission.received_at.astimezone(context.timezone)
        due = add_working_days(received, result.due_working_days, context.holidays)
        case = evolve(
            draft.case, category=result.category, urgency="urgent" if result.urgent else "normal", due_at=due
        )
        return Outcome(draft.with_case(case).with_facts(category_words=result.matched))
