"""Rule: feedback, complaint (khiếu nại) or denunciation (tố cáo); a denunciator is always confidential."""

from __future__ import annotations

from normalizer.fields.classify import kind_of_submission
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import evolve


class KindOfSubmission:
    name = "kind"
    description = "Tells feedback from complaints and denunciations, which follow other laws and deadlines."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        decision = kind_of_submission(draft.case.content, context.kinds)
        confidential = draft.case.confidential or decision.confidential
        return RuleResult(draft.with_case(evolve(draft.case, kind=decision.kind, confidential=confidential)))
