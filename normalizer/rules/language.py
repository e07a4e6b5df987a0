"""Rule: Vietnamese with diacritics, as the provincial rules require; other languages are rejected."""

from __future__ import annotations

from normalizer.pipeline import Context, Draft, Outcome
from normalizer.text import decide_language, language_name_en, language_name_vi
from pakn.records import Severity, evolve


class Language:
    name = "language"
    description = "Vietnamese with diacritics passes; without diacritics asks again; another language is rejected."

    def check(self, draft: Draft, context: Context) -> Outcome:
        decision = decide_language(draft.case.content)
        case = evolve(draft.case, language=decision.language if decision.kind == "other" else "vi")
        if decision.kind == "undecided":  # short answers are never judged on language
            case = evolve(draft.case, language=None)
            return Outcome(draft.with_case(case))
        detail = {"kind": decision.kind, "marked_ratio": round(decision.marked_ratio, 3)}
        if decision.kind == "vi_no_diacritics":
            finding = context.finding(self.name, "no-diacritics", Severity.NEEDS_INFORMATION, "content", detail=detail)
            return Outcome(draft.with_case(case), (finding,))
        if decision.kind == "other":
            finding = context.finding(
                self.name,
                "not-vietnamese",
                Severity.REJECT,
                "content",
                detail={**detail, "language": decision.language},
                language_vi=language_name_vi(decision.language),
                language_en=language_name_en(decision.language),
            )
            return Outcome(draft.with_case(case), (finding,))
        return Outcome(draft.with_case(case))
