"""Review before forwarding (``REVIEW_MODE``): which accepted cases wait for a person, and why.

The signals are what the normalizer already records on the case, no new guess: the fallback field (no
phrase of any field found), a place not matched to a commune (only to its province, or to no unit at all:
a street name alone), a possible repeat (a recent case of the same person or content), and a denunciation
(``tố cáo``: other laws, other deadlines).  A case without a place is not held for it: the required-fields
rule already asks the citizen when a place is needed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from normalizer.fields.classify import CategoryTable, classify
from pakn.records import NormalizedCase, PlaceMatch, Routing

DENUNCIATION = "to_cao"
REASONS = ("no-field", "close-fields", "no-commune", "possible-repeat", "denunciation")
# Two fields are close when the runner-up's phrases weigh at least this share of the chosen field's.
CLOSE_SHARE = 0.75


def uncertainties(
    case: NormalizedCase, fallback_category: str, categories: CategoryTable | None = None
) -> tuple[str, ...]:
    """Why a person should look at this case before it goes out (codes of ``REASONS``); empty: nothing.

    ``categories``: the fields' phrases, to tell two fields close (the classifier's runner-up weighing
    nearly as much as the field it chose); a field an operator chose is theirs, not a close call."""
    reasons = []
    if not case.category or case.category == fallback_category:
        reasons.append("no-field")
    elif categories is not None and _close(case, categories):
        reasons.append("close-fields")
    if case.location is not None and not case.location.commune_code:
        reasons.append("no-commune")
    if case.repeat_of or case.related_to:
        reasons.append("possible-repeat")
    if case.kind == DENUNCIATION:
        reasons.append("denunciation")
    return tuple(reasons)


def _close(case: NormalizedCase, categories: CategoryTable) -> bool:
    found = classify(case.content, categories)
    return (
        found.category == case.category
        and found.runner_up not in (None, categories.fallback)
        and found.runner_up_score >= CLOSE_SHARE * found.score
    )


def held_for(
    mode: str, case: NormalizedCase, fallback_category: str, categories: CategoryTable | None = None
) -> tuple[str, ...]:
    """The reasons to hold an accepted case under ``mode`` (``off``, ``uncertain``, ``all``)."""
    if mode == "all":
        return uncertainties(case, fallback_category, categories) or ("review-all",)
    if mode == "uncertain":
        return uncertainties(case, fallback_category, categories)
    return ()


def case_from_json(data: dict[str, Any]) -> NormalizedCase:
    """A normalized case as the journal keeps it (``NormalizedCase.as_json``), for a forward made after
    review: a person reopened a submission the normalizer did not accept."""
    place = data.get("location")
    return NormalizedCase(
        content=data.get("content") or "",
        incident_time=_instant(data.get("incident_time")),
        incident_time_text=data.get("incident_time_text"),
        location=PlaceMatch(**place) if isinstance(place, dict) else None,
        name=data.get("name"),
        phone=data.get("phone"),
        phone_text=data.get("phone_text"),
        email=data.get("email"),
        address=data.get("address"),
        confidential=bool(data.get("confidential")),
        language=data.get("language"),
        category=data.get("category"),
        urgency=data.get("urgency") or "normal",
        due_at=_instant(data.get("due_at")),
        kind=data.get("kind") or "phan_anh_kien_nghi",
        repeat_of=data.get("repeat_of"),
        related_to=tuple(data.get("related_to") or ()),
        subject=data.get("subject"),
        routing=Routing(**routing) if isinstance(routing := data.get("routing"), dict) else None,
        summary=data.get("summary"),
    )


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
