"""The share of cases ``REVIEW_MODE=uncertain`` holds for a person, on the project's Vietnamese corpus.

Each line's ``text`` of ``tests/fixtures/normalizer/classification_corpus.jsonl`` (realistic submissions,
one per field; or ``input`` of another corpus such as ``text_corpus.jsonl``) goes through the normalizer
as a complete web submission: the text as content, a time, a name and a phone.  The place is the one
the normalizer finds in the text (none given), as for a mail or a call.
Prints how many were accepted, how many of those ``uncertain`` holds, and why.

    .venv/bin/python -m bench.review_share [CORPUS.jsonl]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from config.settings import Settings
from dispatcher.review import held_for
from normalizer import context_from_settings, normalize
from pakn.records import Channel, Submission, SubmissionFields, Verdict

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "normalizer" / "classification_corpus.jsonl"


def main(path: Path = CORPUS) -> None:
    context = context_from_settings(Settings())
    received = datetime(2024, 9, 12, 9, 0, tzinfo=UTC)
    verdicts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    held = accepted = uncertain_any = 0
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i, item in enumerate(lines):
        fields = SubmissionFields(
            content=item.get("text") or item.get("input") or "",
            incident_time="sáng nay",
            name="Nguyễn Văn An",
            phone=f"09050{i:05d}",
        )
        result = normalize(Submission(Channel.WEB, received, fields, tracking_code=f"T{i}"), context)
        verdicts[result.verdict.value] += 1
        if held_for("uncertain", result.case, context.categories.fallback, context.categories):
            uncertain_any += 1
        if result.verdict is not Verdict.ACCEPTED:
            continue
        accepted += 1
        why = held_for("uncertain", result.case, context.categories.fallback, context.categories)
        if why:
            held += 1
            reasons.update(why)
    print(f"corpus: {path.name}, {len(lines)} texts; verdicts: {dict(verdicts)}")
    share = held / accepted if accepted else 0.0
    print(f"REVIEW_MODE=uncertain holds {held} of {accepted} accepted cases ({share:.1%})")
    print(f"reasons (a case may have several): {dict(reasons.most_common())}")
    print(f"every text's case, whatever its verdict: {uncertain_any} of {len(lines)} uncertain")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS)
