"""What the bot answers to each message: the conversation that collects one complete submission.

The bot asks, one question at a time, only for what is still missing.  Every answer is checked on
the spot by running the normalizer over everything answered so far, so the citizen hears "no
diacritics", "outside the province" or "not a valid phone" while still in the chat instead of days
later.  Whatever the normalizer finds in the content (a place, a time, a name, a phone) is not asked
for again.  On confirm the answers, exactly as typed, are journaled and the tracking code is given.

No platform types here: each chat channel (``channels.telegram.bot``, ``channels.zalo.events``) turns
what arrives into ``Incoming`` and ``Reply`` into messages, and gives the engine its ``Platform``: its
channel, its tables, its journaled payload and the section of messages.vi.toml it speaks from.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal, Protocol

import phonenumbers

from channels.conversation.store import (
    ChatId,
    Commit,
    Conversation,
    ConversationStore,
    Stored,
    UpdateId,
)
from channels.intake import DirectIntake, Refusal, complete
from channels.loop import rating_thanks, take_answer, take_rating, typed_rating
from channels.reading import Readers
from channels.runtime import Runtime
from channels.status import status_text
from normalizer import normalize
from normalizer.fields.phones import normalize_phone
from normalizer.fields.places import find_place
from normalizer.fields.times import parse_incident_time
from normalizer.text import syllable_stats
from pakn.db import utcnow
from pakn.records import (
    RATINGS,
    Channel,
    NormalizationResult,
    RawSubmission,
    Severity,
    StoredSubmission,
    Submission,
    SubmissionFields,
)

log = logging.getLogger(__name__)

Kind = Literal["command", "text", "location", "contact", "attachment", "callback", "other"]
Keyboard = Literal["none", "contact", "confirm", "remove"]
CONFIRM = "confirm"
# The answers a conversation collects, in the order it asks for them (and journals them).
FIELDS = ("content", "location", "incident_time", "name", "phone")
_LETTERS = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"\w+")
# The most common Vietnamese family names: an answer made only of capitalised words that starts with
# one of them and names no place reads as a person's name ("Nguyễn Văn An"), not as an address.
_SURNAMES = frozenset(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh đào trương lâm mai "  # noqa: SIM905
    "trịnh cao tô hà lưu tạ châu quách thái kiều la văn từ chu triệu lương".split()
)
# A content answer must say what happened: one that, once its place, time or phone is taken out, has
# fewer words than this answers another question.
_CONTENT_MIN_WORDS = 4
# A place, time or name answer with this many words besides the place, time or phone it names is an
# account of what happened, not the detail that was asked.
_SENTENCE_WORDS = 8


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update as the conversation needs it (already downloaded attachment included)."""

    update_id: UpdateId
    chat_id: ChatId | None
    kind: Kind
    private: bool = True
    user_id: int | str | None = None
    text: str = ""
    command: str = ""
    args: str = ""
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    contact_user_id: int | str | None = None
    attachment: dict[str, Any] | None = None
    attachment_too_large: bool = False
    callback_data: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    keyboard: Keyboard = "none"
    conversation_id: str = ""
    # The outbox's messages up to this id reach the chat before this reply: it tells a status read after them.
    after_message: int | None = None


@dataclass(frozen=True, slots=True)
class Handled:
    """What one update comes to: the answers to send, or none because it was seen before."""

    replies: tuple[Reply, ...] = ()
    duplicate: bool = False


class BuildPayload(Protocol):
    def __call__(
        self,
        *,
        chat_id: Any,
        user_id: Any,
        conversation_id: str,
        confirmed_update_id: Any,
        started_at: str,
        answers: dict[str, str],
        pin: dict[str, float] | None,
        attachments: list[dict[str, Any]],
    ) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Platform:
    """What makes the engine one chat channel's: where it files, keeps state, and what it says.

    ``sections``: the messages.vi.toml sections the texts come from, the first that has a key wins
    (Zalo speaks from ``[zalo]`` and falls back on ``[telegram]`` for what both say alike).
    """

    channel: Channel
    content_type: str
    build_payload: BuildPayload
    store: ConversationStore
    sections: tuple[str, ...]
    max_attachment_bytes: int
    location_bounds: str
    readers: Readers  # to read back the submission a conversation completes


@dataclass
class _Turn:
    """The effect of one update, before it is committed."""

    conversation: Conversation | None
    replies: list[Reply] = field(default_factory=list)
    touch: bool = True
    confirm: bool = False


class ConversationEngine:
    """Handles one update at a time (each channel runs a chat's updates in order); state lives in the store."""

    def __init__(self, runtime: Runtime, platform: Platform) -> None:
        self.runtime = runtime
        self.platform = platform
        self.settings = runtime.settings
        self.store = platform.store
        self.messages = runtime.catalog.messages
        self.bounds = _parse_bounds(platform.location_bounds)
        self._name = platform.channel.value
        self.intake = DirectIntake(runtime.journal.intake.record, self._enqueue_normalize)

    # --- entry points -------------------------------------------------------------------------------
    def handle(self, incoming: Incoming) -> Handled:
        """The bot's answers to one update; a repeated update gets none."""
        for _attempt in range(5):
            now = utcnow()
            if incoming.chat_id is None or not incoming.private:
                if self.store.mark(incoming.update_id, now) is Commit.DUPLICATE:
                    return Handled(duplicate=True)
                if incoming.chat_id is not None and incoming.kind != "other":
                    return Handled((Reply(self._text("private-only")),))
                return Handled()
            if self.store.seen(incoming.update_id):
                return Handled(duplicate=True)
            stored = self.store.load(incoming.chat_id)
            replies: list[Reply] = []
            current = stored.conversation if stored else None
            if stored is not None and stored.updated_at < now - self._idle():
                replies.append(self._timeout_reply())
                current = None
            turn = (
                self._question_answered(current, stored, incoming)
                or self._rated(current, stored, incoming)
                or self._turn(current, incoming)
            )
            if turn.confirm and current is not None:
                turn = self._journal(current, incoming, turn)
            # The idle clock starts when the turn is done, not when it began: checking an answer may take
            # a while (the first one loads the normalizer's data), and must not count as the citizen's silence.
            result = self.store.commit(
                incoming.update_id, incoming.chat_id, stored, turn.conversation, utcnow(), touch=turn.touch
            )
            if result is Commit.DUPLICATE:
                return Handled(duplicate=True)
            if result is Commit.DONE:
                log.info("%s update %s handled: %s", self._name, incoming.update_id, incoming.kind)
                return Handled(tuple(replies + turn.replies))
        raise RuntimeError(f"{self._name} update {incoming.update_id}: conversation kept changing")

    def expire_idle(self) -> list[tuple[ChatId, Reply]]:
        """Close conversations left unanswered too long; returns the message owed to each chat."""
        now = utcnow()
        before = now - self._idle()
        owed = [(s.chat_id, self._timeout_reply()) for s in self.store.idle(before) if self.store.expire(s, before)]
        self.store.forget_updates(now - timedelta(days=2))
        return owed

    # --- one turn -------------------------------------------------------------------------------------
    def _turn(self, conv: Conversation | None, msg: Incoming) -> _Turn:
        if msg.kind == "command":
            return self._command(conv, msg)
        if msg.kind == "callback":
            return self._callback(conv, msg)
        if msg.kind == "other":
            return _Turn(conv, [Reply(self._text("not-understood")), *self._ask(conv)], touch=False)
        if conv is None:
            conv = self._completion(msg) or self._new(msg)
        if msg.kind == "attachment":
            return self._attachment(conv, msg)
        if msg.kind == "location":
            assert msg.latitude is not None and msg.longitude is not None
            if not self._inside(msg.latitude, msg.longitude):
                conv = replace(conv, step="location")
                return _Turn(conv, [Reply(self._text("pin-outside")), *self._ask(conv)])
            text = self._text("location-pin", latitude=msg.latitude, longitude=msg.longitude)
            turn = self._answer(conv, "location", text, pin={"latitude": msg.latitude, "longitude": msg.longitude})
            turn.replies.insert(0, Reply(self._text("pin-received")))
            return turn
        if msg.kind == "contact":
            if msg.contact_user_id is not None and msg.user_id is not None and msg.contact_user_id != msg.user_id:
                conv = replace(conv, step="phone")
                return _Turn(conv, [Reply(self._text("contact-not-own")), *self._ask(conv)])
            return self._answer(conv, "phone", msg.phone or "")
        # text
        if conv.step == CONFIRM:
            return _Turn(conv, [Reply(self._text("summary-confirm-hint"))], touch=True)
        return self._answer(conv, conv.step, msg.text)

    def _question_answered(self, conv: Conversation | None, stored: Stored | None, msg: Incoming) -> _Turn | None:
        """The first text after a question of the case store reached the chat is its answer (channels.loop).

        A conversation the citizen went on with after the question came keeps its turn; one interrupted by
        the question is left as it was, and its pending question asked again after the thanks."""
        if msg.kind != "text" or msg.chat_id is None or not msg.text.strip():
            return None
        question = self.runtime.journal.loop.open_question_of_source(self.platform.channel, f"{msg.chat_id}:")
        if question is None or question.relayed_at is None:
            return None
        if conv is not None and stored is not None and stored.updated_at > question.relayed_at:
            return None
        source = f"{msg.chat_id}:{msg.update_id}"
        if not take_answer(self.runtime, question, self.platform.channel, source, msg.text, acknowledge=False):
            return None
        thanks = Reply(self._text("question-answered", tracking_code=question.tracking_code))
        return _Turn(conv, [thanks, *self._ask(conv)], touch=False)

    def _rated(self, conv: Conversation | None, stored: Stored | None, msg: Incoming) -> _Turn | None:
        """A rating of the answer to the chat's case: its button (Telegram), or a text starting with 1-4 after
        the request to rate reached the chat (pakn.journal.ratings); the first rating counts."""
        if msg.chat_id is None:
            return None
        code = None
        if msg.kind == "callback":
            action, _, rest = msg.callback_data.partition(":")
            number, _, code = rest.partition(":")
            if action != "rate" or number not in ("1", "2", "3", "4"):
                return None
            typed: tuple[str, str | None] | None = (RATINGS[int(number) - 1], None)
        elif msg.kind == "text":
            typed = typed_rating(msg.text)
        else:
            return None
        if typed is None:
            return None
        request = self.runtime.journal.ratings.open_request_of_source(self.platform.channel, f"{msg.chat_id}:")
        if request is None or request.relayed_at is None or (code is not None and code != request.tracking_code):
            if msg.kind == "callback":
                return _Turn(conv, [Reply(self._text("stale-button"))], touch=False)
            return None
        if msg.kind == "text" and conv is not None and stored is not None and stored.updated_at > request.relayed_at:
            return None
        rating, comment = typed
        source = f"{msg.chat_id}:{msg.update_id}"
        if not take_rating(self.runtime, request, rating, comment, self.platform.channel, source, acknowledge=False):
            return None
        thanks = Reply(rating_thanks(self.runtime, request.tracking_code, rating))
        return _Turn(conv, [thanks, *self._ask(conv)], touch=False)

    def _command(self, conv: Conversation | None, msg: Incoming) -> _Turn:
        if msg.command == "phananh":
            fresh = self._new(msg)
            if msg.args.strip():  # "/phananh <what happened>": the content, straight away
                turn = self._answer(fresh, "content", msg.args)
                turn.replies.insert(0, Reply(self._text("new")))
                return turn
            return _Turn(fresh, [Reply(self._text("new")), *self._ask(fresh)])
        if msg.command == "huy":
            if conv is None:
                return _Turn(None, [Reply(self._text("nothing-to-cancel"), "remove")])
            return _Turn(None, [Reply(self._text("cancelled"), "remove")])
        if msg.command == "tracuu":
            return _Turn(conv, [self._lookup(msg.args)], touch=False)
        if msg.command == "xacnhan":  # a confirm typed, where the platform has no button for it
            if conv is None or conv.step != CONFIRM:
                return _Turn(conv, [Reply(self._text("nothing-to-confirm")), *self._ask(conv)], touch=False)
            return _Turn(conv, confirm=True)
        # /start, /help and anything unknown: what the bot does, then the question pending, if any
        return _Turn(conv, [Reply(self._text("start")), *self._ask(conv)], touch=False)

    def _callback(self, conv: Conversation | None, msg: Incoming) -> _Turn:
        action, _, conversation_id = msg.callback_data.partition(":")
        if conv is None or conv.conversation_id != conversation_id or conv.step != CONFIRM:
            return _Turn(conv, [Reply(self._text("stale-button"))], touch=False)
        if action == "cancel":
            return _Turn(None, [Reply(self._text("cancelled"), "remove")])
        if action == "confirm":
            return _Turn(conv, confirm=True)
        return _Turn(conv, [Reply(self._text("stale-button"))], touch=False)

    def _attachment(self, conv: Conversation, msg: Incoming) -> _Turn:
        if msg.attachment_too_large or msg.attachment is None:
            limit_mb = self.platform.max_attachment_bytes // 1_000_000
            return _Turn(conv, [Reply(self._text("attachment-too-large", limit_mb=limit_mb)), *self._ask(conv)])
        known = {a["sha256"] for a in conv.attachments}
        if msg.attachment["sha256"] not in known:
            conv = replace(conv, attachments=(*conv.attachments, msg.attachment))
        received = Reply(self._text("attachment-received", count=len(conv.attachments)))
        caption = msg.text.strip()
        if caption and conv.step not in (CONFIRM, "phone"):
            turn = self._answer(conv, conv.step, caption)
            turn.replies.insert(0, received)
            return turn
        if conv.step == CONFIRM:
            return _Turn(conv, [received, *self._summary(conv, self._check(conv.answers))])
        return _Turn(conv, [received, *self._ask(conv)])

    def _answer(self, conv: Conversation, name: str, value: str, pin: dict[str, float] | None = None) -> _Turn:
        """Check one answer; keep it and ask the next question, or explain and ask again.

        The answer is checked for the question that is open before anything is stored: a time given
        where the place was asked is explained and the place asked again, never filed as the place.
        """
        value = value.strip()
        problems = [] if pin else self._misfit(name, value) or self._precheck(name, value)
        answers = {**conv.answers, name: value}
        result = self._check(answers)
        if not problems:
            problems = [f.message for f in result.findings if _blocks(f, name)]
        if problems:
            conv = replace(conv, step=name)
            return _Turn(conv, [*(Reply(p) for p in problems), *self._ask(conv)])
        conv = replace(conv, answers=answers, pin=pin if name == "location" else conv.pin)
        return self._next(conv, result, previous=name)

    def _next(self, conv: Conversation, result: NormalizationResult, previous: str | None = None) -> _Turn:
        step, explanations = _next_step(result)
        conv = replace(conv, step=step)
        replies = [Reply(text) for text in explanations]
        if step == CONFIRM:
            if previous == "phone":
                replies.insert(0, Reply(self._text("noted"), "remove"))
            return _Turn(conv, [*replies, *self._summary(conv, result)])
        return _Turn(conv, [*replies, *self._ask(conv)])

    def _misfit(self, name: str, value: str) -> list[str]:
        """Why an answer does not answer the question asked (it reads as another field), if it does not."""
        looks = _reads_as(value)
        rest = len(_WORD.findall(_without_fields(value)))
        if name == "content":
            if not looks or rest >= _CONTENT_MIN_WORDS:
                return []
        elif name == "phone":
            return []  # the phone's own check (invalid-phone) explains a wrong number
        elif rest >= _SENTENCE_WORDS:
            looks = {"content"}  # a whole account of what happened, where one detail was asked
        elif name in looks:
            return []
        others = [field for field in ("content", *FIELDS) if field in looks and field != name]
        if not others:
            return []
        looks_like = self._text(f"field-{others[0]}")
        asked = self._text(f"field-{name}")
        return [self._text("answer-misfit", answer=value[:80], looks_like=looks_like, asked=asked)]

    def _precheck(self, name: str, value: str) -> list[str]:
        """What the normalizer lets pass but a conversation can ask again for at once."""
        if name == "name":
            if len(_LETTERS.findall(value)) < 2:
                return [self._text("invalid-name")]
            if _lacks_marks(value):
                return [self._text("no-diacritics-name")]
        if name == "location" and _lacks_marks(value):
            return [self._text("no-diacritics-location")]
        return []

    def _check(self, answers: dict[str, str]) -> NormalizationResult:
        submission = Submission(
            channel=self.platform.channel,
            received_at=utcnow(),
            fields=SubmissionFields(
                content=answers.get("content"),
                location=answers.get("location"),
                incident_time=answers.get("incident_time"),
                name=answers.get("name"),
                phone=answers.get("phone"),
            ),
        )
        return normalize(submission, self.runtime.context)

    # --- confirm: journal the submission ----------------------------------------------------------------
    def _enqueue_normalize(self, submission_ids: Sequence[int]) -> None:
        """The queues are reached only when a submission is stored (a Redis that is down is the sweeper's)."""
        self.runtime.queues.enqueue_normalize(submission_ids)

    def _journal(self, conv: Conversation, msg: Incoming, turn: _Turn) -> _Turn:
        assert msg.chat_id is not None
        payload = self.platform.build_payload(
            chat_id=msg.chat_id,
            user_id=conv.user_id,
            conversation_id=conv.conversation_id,
            confirmed_update_id=msg.update_id,
            started_at=conv.started_at,
            answers=conv.answers,
            pin=conv.pin,
            attachments=list(conv.attachments),
        )
        raw = RawSubmission(
            self.platform.channel,
            f"{msg.chat_id}:{conv.conversation_id}",
            payload,
            self.platform.content_type,
            utcnow(),
        )
        if conv.completes is not None:
            completed = self._complete(conv.completes, raw, msg.update_id)
            if completed is not None:
                return completed
        receipt = self.intake.take(raw)
        if isinstance(receipt, Refusal):
            log.error(
                "%s update %s: the journal did not take the submission: %s", self._name, msg.update_id, receipt.detail
            )
            return _Turn(conv, [Reply(self._text("not-saved"))], touch=True)
        log.info("%s update %s: submission %d journaled", self._name, msg.update_id, receipt.submission_id)
        return _Turn(None, [Reply(self._text("confirmed", tracking_code=receipt.tracking_code), "remove")])

    def _complete(self, tracking_code: str, raw: RawSubmission, update_id: UpdateId) -> _Turn | None:
        """Add the answers to the submission that was waiting for them; None: it no longer waits."""
        stored = self.runtime.journal.reading.get_by_code(tracking_code)
        if stored is None or not complete(self.runtime, stored.id, raw):
            return None
        log.info("%s update %s: submission %d completed", self._name, update_id, stored.id)
        return _Turn(None, [Reply(self._text("completed", tracking_code=tracking_code), "remove")])

    def _completion(self, msg: Incoming) -> Conversation | None:
        """A conversation that completes this chat's submission waiting for information, if there is one.

        It starts from that submission's answers and asks only for what the normalizer still misses,
        so the citizen's message is taken as the answer to that first question.
        """
        if msg.chat_id is None:
            return None
        waiting = self.runtime.journal.reading.latest_waiting(self.platform.channel, f"{msg.chat_id}:")
        if waiting is None:
            return None
        fields = self.platform.readers.fields_of(waiting.raw, waiting.content_type)
        answers = {name: value for name in FIELDS if isinstance(value := getattr(fields, name), str) and value}
        step, _ = _next_step(self._check(answers))
        if step == CONFIRM:
            return None
        conv = self._new(msg)
        return replace(conv, step=step, answers=answers, completes=waiting.tracking_code)

    # --- /tracuu ------------------------------------------------------------------------------------
    def _lookup(self, text: str) -> Reply:
        """Status and reasons of a tracking code, never who sent it.

        The outbox's messages up to the newest one read with the status go to the chat before this answer,
        later ones after it: the chat never shows an older status after a newer one."""
        if not text.strip():
            return Reply(self._text("lookup-usage"))
        told: list[int | None] = []

        def get_by_code(code: str) -> StoredSubmission | None:
            found = self.runtime.journal.reading.get_by_code_as_told(code)
            if found is None:
                return None
            told.append(found[1])
            return found[0]

        answer = status_text(get_by_code, self.messages, self.platform.sections, text.strip())
        return Reply(answer, after_message=told[0] if told else None)

    # --- what the bot says -----------------------------------------------------------------------------
    def _new(self, msg: Incoming) -> Conversation:
        return Conversation(
            conversation_id=uuid.uuid4().hex, step="content", started_at=utcnow().isoformat(), user_id=msg.user_id
        )

    def _ask(self, conv: Conversation | None, step: str | None = None) -> list[Reply]:
        if conv is None:
            return []
        step = step or conv.step
        if step == CONFIRM:
            return self._summary(conv, self._check(conv.answers))
        return [Reply(self._text(f"ask-{step}"), "contact" if step == "phone" else "none")]

    def _summary(self, conv: Conversation, result: NormalizationResult) -> list[Reply]:
        case = result.case
        none = self._text("none")
        text = self._text(
            "summary",
            content=case.content or none,
            location=case.location.text if case.location else none,
            incident_time=case.incident_time_text or conv.answers.get("incident_time") or none,
            name=case.name or none,
            phone=_national(case.phone) if case.phone else case.phone_text or none,
            attachments=len(conv.attachments),
        )
        return [Reply(text, "confirm", conv.conversation_id)]

    def _timeout_reply(self) -> Reply:
        minutes = max(1, round(self.settings.chatbot.idle_timeout_seconds / 60))
        return Reply(self._text("timeout", minutes=minutes), "remove")

    def _text(self, key: str, **params: Any) -> str:
        sections = self.platform.sections
        section = next((s for s in sections if self.messages.has(s, key)), sections[-1])
        return self.messages.text(section, key, **params)

    def _idle(self) -> timedelta:
        return timedelta(seconds=self.settings.chatbot.idle_timeout_seconds)

    def _inside(self, latitude: float, longitude: float) -> bool:
        if not self.bounds:
            return True
        return any(s <= latitude <= n and w <= longitude <= e for s, w, n, e in self.bounds)


def _field_of(finding_field: str | None) -> str | None:
    return "phone" if finding_field == "contact" else finding_field


def _blocks(finding: Any, name: str) -> bool:
    """A problem with the answer just given: it is explained and the question asked again."""
    if _field_of(finding.field) != name:
        return False
    if finding.code == "invalid-phone":
        return True
    if finding.code.startswith("missing-"):
        return name in ("content", "name", "phone")  # an answer that says nothing
    return finding.severity is not Severity.INFO


def _next_step(result: NormalizationResult) -> tuple[str, list[str]]:
    """The first field still missing or wrong (with what is wrong), or the summary."""
    problems: dict[str, list[str]] = {}
    for finding in result.findings:
        name = _field_of(finding.field)
        if name not in FIELDS:
            continue
        if finding.code.startswith("missing-"):
            problems.setdefault(name, [])
        elif finding.severity is not Severity.INFO or finding.code == "invalid-phone":
            problems.setdefault(name, []).append(finding.message)
    for name in FIELDS:
        if name in problems:
            return name, problems[name]
    return CONFIRM, []


def _reads_as(value: str) -> set[str]:
    """Which fields an answer reads as: a place, a time, a phone number, a person's name (maybe several)."""
    looks: set[str] = set()
    if find_place(value) is not None:
        looks.add("location")
    if parse_incident_time(value, utcnow()) is not None:
        looks.add("incident_time")
    if normalize_phone(value).valid:
        looks.add("phone")
    words = _WORD.findall(value)
    if (
        "location" not in looks
        and 2 <= len(words) <= 5
        and all(w[0].isupper() and w.isalpha() for w in words)
        and words[0].lower() in _SURNAMES
    ):
        looks.add("name")
    return looks


def _without_fields(value: str) -> str:
    """The answer with the place, time and phone it names taken out: what is left says what happened."""
    place = find_place(value)
    if place is not None:
        value = value.replace(place.text, " ")
    when = parse_incident_time(value, utcnow())
    if when is not None:
        value = value.replace(when.matched, " ")
    return " ".join(w for w in value.split() if not any(c.isdigit() for c in w))


def _national(e164: str) -> str:
    """A phone as people write it in Vietnam ("0912 345 678"), not in E.164."""
    try:
        number = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _lacks_marks(text: str) -> bool:
    """Vietnamese typed without its marks ("Nguyen Van An"): words that need marks, none carrying them."""
    stats = syllable_stats(text)
    return stats.needs_marks > 0 and stats.marked == 0


def _parse_bounds(text: str) -> tuple[tuple[float, float, float, float], ...]:
    boxes = []
    for part in text.split(";"):
        if part.strip():
            south, west, north, east = (float(v) for v in part.split(","))
            boxes.append((south, west, north, east))
    return tuple(boxes)
