"""Rule: the fields the provincial rules require, per channel (config/data/required_fields.toml)."""

from __future__ import annotations

import re
from functools import lru_cache

from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import Finding, Severity

_WORDS = re.compile(r"\w+")


class RequiredFields:
    name = "required-fields"
    description = "Content (substantive), time, place, name and a way to reach the submitter must be present."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        settings = context.catalog.required_fields
        required = settings.for_channel(draft.submission.channel.value)
        case = draft.case
        present = {
            "content": substantive(case.content, settings.greetings, settings.min_content_letters),
            "incident_time": bool(case.incident_time or case.incident_time_text),
            "location": case.location is not None,
            "name": bool(case.name),
            "contact": bool(case.phone or case.phone_text or case.email),
        }
        findings: list[Finding] = [
            context.finding(self.name, f"missing-{field}", Severity.NEEDS_INFORMATION, field)
            for field in required
            if not present.get(field, True)
        ]
        return RuleResult(draft, tuple(findings))


def substantive(content: str, greetings: tuple[str, ...], min_letters: int) -> bool:
    """Content says something once the courtesy words are taken out ("Xin chào ad" says nothing)."""
    # Letters only add up: if a prefix (cut at a space) is already substantive, so is the whole.
    cut = content.find(" ", 200)
    if 0 < cut < len(content) - 1 and substantive(content[:cut], greetings, min_letters):
        return True
    text = _courtesy(greetings).sub(" ", content.casefold())
    letters = 0
    for match in _WORDS.finditer(text):  # lazily: a few words usually reach the minimum
        word = match.group()
        if not word.isdigit():
            letters += len(word)
            if letters >= min_letters:
                return True
    return False


@lru_cache(maxsize=8)
def _courtesy(greetings: tuple[str, ...]) -> re.Pattern[str]:
    words = sorted((g.casefold() for g in greetings), key=len, reverse=True) or ["(?!)"]
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")
