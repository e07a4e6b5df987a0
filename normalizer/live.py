"""The normalizer run on fields as they are typed (web form hints, the hotline console): nothing stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from config.settings import Settings
from normalizer import context_from_settings, normalize
from pakn.records import Channel, NormalizationResult, Submission, SubmissionFields


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """The normalizer's view of fields as typed so far (nothing stored), for hints while typing."""

    result: NormalizationResult
    category: dict[str, str] | None  # the suggested field: {"code", "name"}


def live_check(
    channel: Channel, fields: SubmissionFields, settings: Settings, received_at: datetime | None = None
) -> LiveCheck:
    """Run the normalizer now, as the worker will later, for an operator's or a citizen's form."""
    context = context_from_settings(settings)
    when = received_at or datetime.now(UTC)
    result = normalize(Submission(channel=channel, received_at=when, fields=fields), context)
    category = None
    code = result.case.category
    if code and any(c.code == code for c in context.categories.categories):
        found = context.categories.by_code(code)
        category = {"code": found.code, "name": found.name}
    return LiveCheck(result, category)
