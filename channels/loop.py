"""The citizen's answer to a question of the case store, and their rating of the answer to their case, taken
on any channel (``pakn.journal.loop``, ``pakn.journal.ratings``).

Each channel decides what an answer is (a reply mail in the question's thread, the next chat message after
the question, an SMS from the same number, the lookup page's form with the completion token) and hands it
here: the question is closed by its first answer, which goes to the case store signed and exactly once
(``dispatcher.jobs.relay``); the citizen is told it was passed on.
"""

from __future__ import annotations

import logging
import re

from channels.runtime import Runtime
from channels.text import valid_text
from pakn.db import utcnow
from pakn.records import RATINGS, Channel, CitizenAnswer, OpenQuestion, RatingRequest

log = logging.getLogger(__name__)

# The longest answer passed on (the rest is cut: the case store may ask again).
ANSWER_LIMIT = 20_000


def open_question(runtime: Runtime, submission_id: int) -> OpenQuestion | None:
    return runtime.journal.loop.open_question(submission_id)


def take_answer(
    runtime: Runtime, question: OpenQuestion, channel: Channel, source_id: str, text: str, *, acknowledge: bool = True
) -> bool:
    """Record ``text`` as the answer to ``question`` and send it on; False: the question was answered already.

    ``acknowledge``: queue the "passed on" message on the submission's channel (a chat answers at once itself).
    """
    answer_text = valid_text(text).strip()[:ANSWER_LIMIT]
    if not answer_text:
        return False
    ack = None
    if acknowledge:
        ack = runtime.catalog.messages.text("notification", "case-answered", tracking_code=question.tracking_code)
    answer = CitizenAnswer(question, channel, source_id, answer_text, utcnow())
    reply_id, ack_id = runtime.journal.loop.record_answer(answer, ack)
    if reply_id is None:
        return False
    log.info("%s answer to question %d of submission %d taken", channel.value, question.id, question.submission_id)
    try:
        runtime.queues.enqueue_relay([reply_id])
        if ack_id is not None:
            runtime.queues.enqueue_notify([ack_id])
    except Exception:  # Redis down: the sweeper finds the rows once due
        log.warning("enqueueing answer %d failed; the sweeper will", reply_id, exc_info=True)
    return True


# A typed rating: "1".."4" first (what the request asks for), then what the citizen adds is the comment.
_TYPED_RATING = re.compile(r"^\s*([1-4])(?:\s*[.,:;)\-–]?\s*(.*))?$", re.DOTALL)
COMMENT_LIMIT = 4_000


def typed_rating(text: str) -> tuple[str, str | None] | None:
    """(rating, comment) of a message that starts with 1-4; None: not a rating."""
    found = _TYPED_RATING.match(valid_text(text))
    if found is None:
        return None
    comment = (found.group(2) or "").strip()[:COMMENT_LIMIT]
    return RATINGS[int(found.group(1)) - 1], comment or None


def rating_thanks(runtime: Runtime, tracking_code: str, rating: str) -> str:
    messages = runtime.catalog.messages
    label = messages.text("notification", f"rating-{rating}")
    return messages.text("notification", "rated", tracking_code=tracking_code, rating=label)


def take_rating(
    runtime: Runtime,
    request: RatingRequest,
    rating: str,
    comment: str | None,
    channel: Channel,
    source_id: str,
    *,
    acknowledge: bool = True,
) -> bool:
    """Record the citizen's rating and send it to the case store; False: rated already (the first one counts)."""
    thanks = rating_thanks(runtime, request.tracking_code, rating) if acknowledge else None
    text = valid_text(comment).strip()[:COMMENT_LIMIT] if comment else None
    taken, thanks_id = runtime.journal.ratings.record_rating(request, rating, text or None, channel, source_id, thanks)
    if not taken:
        return False
    log.info("%s rating of submission %d taken", channel.value, request.submission_id)
    try:
        runtime.queues.enqueue_ratings([request.id])
        if thanks_id is not None:
            runtime.queues.enqueue_notify([thanks_id])
    except Exception:  # Redis down: the sweeper finds the rows once due
        log.warning("enqueueing rating %d failed; the sweeper will", request.id, exc_info=True)
    return True
