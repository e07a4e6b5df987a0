"""Rule: about administrative behaviour (hành vi) or regulations (quy định), from config/data/subjects.toml."""

from __future__ import annotations

from normalizer.fields.subjects import subject_of
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import evolve


class Subject:
    name = "subject"
    description = "Tells cases about an official's conduct from cases about a rule: the province counts them apart."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        decision = subject_of(draft.case.content, context.subjects)
        return RuleResult(draft.with_case(evolve(draft.case, subject=decision.subject)))
