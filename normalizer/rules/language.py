"""Rule: Vietnamese with diacritics, as the provincial rules require; other languages are rejected."""

from __future__ import annotations

from normalizer.pipeline import Context, Draft, RuleResult
from normalizer.text import decide_language, language_name_en, language_name_vi, syllable_stats, words_without_marks
from pakn.records import Severity, evolve

# Marked text is asked again, with the words named, when it is only partly marked (fewer than half the
# words carry marks, most are Vietnamese: "Đèn đường truoc nha so 12 Tran Phu khong sang") or when two
# words cannot be Vietnamese without marks ("truoc", "nguoi"; one may be a slip).  No clean text of the
# corpora (1,261 texts) comes near either.
PARTLY_MARKED = 0.5
PARTLY_COVERAGE = 0.7
MIN_UNMARKED_WORDS = 2
MAX_WORDS_NAMED = 12


class Language:
    name = "language"
    description = (
        "Vietnamese with diacritics passes; without (or partly without) diacritics asks again, naming the words;"
        " another language is rejected."
    )

    def check(self, draft: Draft, context: Context) -> RuleResult:
        decision = decide_language(draft.case.content)
        case = evolve(draft.case, language=decision.language if decision.kind == "other" else "vi")
        if decision.kind == "undecided":  # short answers are never judged on language
            case = evolve(draft.case, language=None)
            return RuleResult(draft.with_case(case))
        detail = {"kind": decision.kind, "marked_ratio": round(decision.marked_ratio, 3)}
        if decision.kind == "vi_no_diacritics":
            finding = context.finding(self.name, "no-diacritics", Severity.NEEDS_INFORMATION, "content", detail=detail)
            return RuleResult(draft.with_case(case), (finding,))
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
            return RuleResult(draft.with_case(case), (finding,))
        partly = decision.marked_ratio < PARTLY_MARKED and decision.coverage >= PARTLY_COVERAGE
        if not partly and syllable_stats(draft.case.content).needs_marks < MIN_UNMARKED_WORDS:
            return RuleResult(draft.with_case(case))  # the usual case: counted already (cached), nothing to name
        unmarked = words_without_marks(draft.case.content, plain=partly)
        if unmarked and (partly or len(unmarked) >= MIN_UNMARKED_WORDS):
            finding = context.finding(
                self.name,
                "missing-diacritics",
                Severity.NEEDS_INFORMATION,
                "content",
                detail={**detail, "words": list(unmarked)},
                words=", ".join(unmarked[:MAX_WORDS_NAMED]) + (", …" if len(unmarked) > MAX_WORDS_NAMED else ""),
            )
            return RuleResult(draft.with_case(case), (finding,))
        return RuleResult(draft.with_case(case))
