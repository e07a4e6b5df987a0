"""Rule: the same person sending near-identical content again is linked, not made a second case;
near-identical content from other people is linked as related, not merged."""

from __future__ import annotations

from normalizer.fields.similarity import contact_keys, content_key, similarity
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import Finding, Severity, evolve

NEAR_IDENTICAL = 0.7


class Repeats:
    name = "repeats"
    description = "Links a resend by the same person to the earlier case; links copies from others as related."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        case = draft.case
        mine = contact_keys(case.phone, case.email)
        key = content_key(case.content)
        if not case.content or (not mine and key is None):
            return RuleResult(draft)
        repeat_of: str | None = None
        related: list[str] = []
        for earlier in context.earlier_cases(mine, key or ""):
            if earlier.tracking_code == draft.submission.tracking_code:
                continue
            close = key is not None and content_key(earlier.content) == key
            if not close and similarity(earlier.content, case.content) < NEAR_IDENTICAL:
                continue
            if earlier.contact_key and earlier.contact_key in mine:
                repeat_of = repeat_of or earlier.tracking_code
            elif earlier.tracking_code not in related:
                related.append(earlier.tracking_code)
        findings: list[Finding] = []
        if repeat_of:
            findings.append(
                context.finding(
                    self.name, "repeat", Severity.REJECT, detail={"repeat_of": repeat_of}, tracking_code=repeat_of
                )
            )
        findings.extend(
            context.finding(self.name, "related", Severity.INFO, detail={"related_to": code}, tracking_code=code)
            for code in related
        )
        if not repeat_of and not related:
            return RuleResult(draft)
        return RuleResult(
            draft.with_case(evolve(case, repeat_of=repeat_of, related_to=tuple(related))), tuple(findings)
        )
