"""When the incident happened, from what the citizen wrote ("14h30 ngày 12/9/2024", "tối qua", "21/9").

A small regex layer for Vietnamese, with or without diacritics, resolved against the moment the
submission was received (never the clock).  ``dateparser`` is not used: it misses most of these
forms (see the shared notes) and is slow; this layer covers what citizens write.

Results are aware datetimes in Asia/Ho_Chi_Minh with a precision, because "hôm qua" is not
"hôm qua 00:00"; a consumer that needs a range takes the precision into account.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from normalizer.fields.folding import FOLD as _FOLD

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# How far after received_at an expression may start before it counts as "in the future".
FUTURE_TOLERANCE = timedelta(minutes=15)
# Before this hour (local), "nay" may still mean the day that is ending (see ``_resolve``).
_DAY_BEGINS = 5

Precision = Literal["minute", "hour", "part_of_day", "day", "week", "month"]


@dataclass(frozen=True, slots=True)
class TimeResult:
    """A resolved time expression.

    ``value`` is the start of a day/week/month, a representative hour for a part of the day
    (sáng 08:00, trưa 12:00, chiều 15:00, tối 20:00, đêm 23:00).  ``matched`` is the substring of the
    NFC-normalized input.  ``in_future`` is set when the expression starts more than
    ``FUTURE_TOLERANCE`` after received_at: kept, but a rule should ask.
    """

    value: datetime
    precision: Precision
    matched: str
    in_future: bool = False


# --- keyword check ---------------------------------------------------------------------------------------


# Keyword → its only accepted marked spellings.  In text typed with diacritics, "tôi qua" (I went)
# is not "tối qua" (last night) and "thứ tự" is not "thứ tư": a word must carry the right marks.
_KEYWORDS = (
    "sáng trưa chiều tối đêm khuya rạng sớm nửa nay này qua hôm kia mai ngày tuần tháng năm trước rồi "
    "vừa lúc vào buổi giờ phút rưỡi kém thứ hai ba tư sáu bảy chủ nhật cách đây khoảng"
)
_ALLOWED: dict[str, frozenset[str]] = {}
for _word in _KEYWORDS.split():
    _key = _word.translate(_FOLD)
    _ALLOWED[_key] = _ALLOWED.get(_key, frozenset()) | {_word}
_WORD = re.compile(r"[^\W\d_]+")


def _marks_ok(original: str, text: str) -> bool:
    """Every keyword in ``original`` spelled as the keyword (plain ASCII only in unmarked text)."""
    for token in _WORD.findall(original):
        lowered = token.lower()
        allowed = _ALLOWED.get(lowered.translate(_FOLD))
        if allowed is None or lowered in allowed:
            continue
        if not lowered.isascii() or _is_marked(text):
            return False
    return True


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _is_marked(text: str) -> bool:
    """Typed with diacritics (a couple of non-ASCII characters are enough to tell)."""
    found = _NON_ASCII.search(text)
    return found is not None and _NON_ASCII.search(text, found.end()) is not None


# --- atoms -------------------------------------------------------------------------------------------

_S = r"[^\S\n]"  # horizontal space
_ATOMS = re.compile(
    rf"""
    (?:(?P<iso>(?<![\d/.\-])(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})
        (?:[t\ ](?P<ih>\d{{2}}):(?P<imi>\d{{2}})(?::\d{{2}}(?:\.\d+)?)?
        (?P<itz>z|[+\-]\d{{2}}:?\d{{2}})?)?(?![\d]))
  | (?P<datew>(?:\bngay{_S}+)?(?<![\d/.])(?P<wd>\d{{1,2}}){_S}+thang{_S}+(?P<wm>\d{{1,2}})
        (?:{_S}*(?:,|nam|/|-)?{_S}*(?P<wy>\d{{4}}))?(?![\d/]))
  | (?P<daten>(?P<nngay>\bngay{_S}*)?(?<![\d/.\-,])(?P<nd>\d{{1,2}})(?P<sep>[/.\-])(?P<nm>\d{{1,2}})
        (?:(?P=sep)(?P<ny>\d{{4}}|\d{{2}}))?(?![\d/]|[.\-,]\d))
  | (?P<month>\bthang{_S}+(?P<mm>\d{{1,2}})(?:{_S}*(?:/|-|nam){_S}*(?P<my>\d{{4}}))?(?![\d/]))
  | (?P<clock>(?<![\d.,/:])(?P<ch>\d{{1,2}}){_S}*(?:h|gio|g(?={_S}*\d))
        (?:{_S}*(?P<cm>\d{{1,2}})(?:{_S}*(?:phut|p|'))?|{_S}+(?P<half>ruoi)|{_S}+kem{_S}+(?P<kem>\d{{1,2}})(?:{_S}*phut)?)?
        (?![\w/]))
  | (?P<colon>(?<![\d.,/:])(?P<kh>\d{{1,2}}):(?P<km>\d{{2}})(?::\d{{2}})?(?![\d:]))
  | (?P<part>\b(?:buoi{_S}+)?(?P<pw>rang{_S}+sang|sang{_S}+som|nua{_S}+dem|sang|trua|chieu|toi|dem|khuya)
        (?:{_S}+(?P<ps>hom{_S}+nay|hom{_S}+qua|hom{_S}+kia|ngay{_S}+mai|nay|qua|mai))?\b)
  | (?P<rel>\b(?:ngay{_S}+)?(?P<rw>hom{_S}+nay|hom{_S}+qua|hom{_S}+kia|ngay{_S}+mai)\b)
  | (?P<ago>(?:\bcach{_S}+day{_S}+(?P<an1>\d{{1,2}}){_S}+(?:ngay|hom))\b
        |(?<![\d/.])(?P<an2>\d{{1,2}}){_S}+(?:ngay|hom){_S}+(?:truoc|qua)\b)
  | (?P<week>\btuan{_S}+(?:truoc|roi|vua{_S}+roi|vua{_S}+qua)\b)
  | (?P<lastmonth>\bthang{_S}+(?:truoc|roi|vua{_S}+roi)\b)
  | (?P<weekday>\b(?:thu{_S}+(?P<wdn>[2-7]|hai|ba|tu|nam|sau|bay)|chu{_S}+nhat)
        (?:{_S}+(?P<wdw>tuan{_S}+truoc|tuan{_S}+nay|tuan{_S}+roi|vua{_S}+roi|vua{_S}+qua))?\b))
    """,
    re.VERBOSE,
)

# "ba đêm nay" is "these three nights" (since three nights ago), not "tonight": a count before a part of
# the day with "nay" moves it back that many days; an unknown count ("mấy đêm nay") is no moment at all.
_COUNTS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10}
_VAGUE_COUNTS = frozenset({"may", "nhieu", "vai", "cac", "nhung", "bao"})
_COUNT_BEFORE = re.compile(r"(\w+)[^\S\n]+$")

_GAP = re.compile(r"[\s,;:()\-–]*(?:(?:vao|luc|khoang|tam|ngay|hom|cua|buoi|den)[\s,;:()\-–]+)*")
_MAX_GAP = 24

# part of day → (start hour, representative hour)
_PARTS: dict[str, tuple[int, int]] = {
    "rang sang": (3, 5),
    "sang som": (5, 6),
    "sang": (5, 8),
    "trua": (11, 12),
    "chieu": (13, 15),
    "toi": (18, 20),
    "dem": (21, 23),
    "nua dem": (23, 23),
    "khuya": (22, 23),
}
_REL_DAYS = {"hom nay": 0, "nay": 0, "hom qua": -1, "qua": -1, "hom kia": -2, "ngay mai": 1, "mai": 1}
_WEEKDAYS = {"2": 0, "hai": 0, "3": 1, "ba": 1, "4": 2, "tu": 2, "5": 3, "nam": 3, "6": 4, "sau": 4}
_WEEKDAYS |= {"7": 5, "bay": 5}

_DAY_KINDS = frozenset({"iso", "datew", "daten", "rel", "ago", "weekday"})
_REFERENCE_WORDS = re.compile(
    r"(?:quyet dinh|nghi dinh|nghi quyet|thong tu|cong van|chi thi|ke hoach|thong bao|van ban|to trinh"
    r"|hop dong|bien ban|giay phep|quy che|hieu luc|ban hanh|post date|ngay dang|cap ngay)\b[^.;\n]*$"
)
_HEADER_LINE = re.compile(r"[^\n\d,.]{2,40},[^\S\n]*")
_MAX_TEXT = 100_000


@dataclass(frozen=True, slots=True)
class _Atom:
    kind: str
    start: int
    end: int
    m: re.Match[str]


# Where an atom may start: tried first because one simple pattern scans much faster than all atoms.
_TRIGGER = re.compile(
    r"(?<![a-z\d])(?:\d|ngay|thang|tuan|hom|cach|thu|chu|buoi|rang|sang|nua|trua|chieu|toi|dem|khuya)"
)


def _atoms(text: str, folded: str) -> Iterator[_Atom]:
    end = 0
    for trigger in _TRIGGER.finditer(folded):
        if trigger.start() < end:
            continue
        m = _ATOMS.match(folded, trigger.start())
        if m is None or m.lastgroup is None or not _marks_ok(text[m.start() : m.end()], text):
            continue
        yield _Atom(m.lastgroup, m.start(), m.end(), m)
        end = m.end()


def _groups(atoms: Iterator[_Atom], folded: str) -> Iterator[list[_Atom]]:
    """Adjacent atoms that describe one moment ("8 giờ sáng", "14h30 ngày 12/9/2024"), lazily."""
    last: list[_Atom] = []
    for atom in atoms:
        if last:
            gap = folded[last[-1].end : atom.start]
            taken = set().union(*(_roles(a) for a in last))
            joinable = (
                len(gap) <= _MAX_GAP
                and _GAP.fullmatch(gap) is not None
                and not _roles(atom) & taken
                and "alone" not in taken | _roles(atom)
            )
            if joinable:
                last.append(atom)
                continue
            yield last
        last = [atom]
    if last:
        yield last


def _roles(atom: _Atom) -> set[str]:
    """What an atom says: the day, the clock time, the part of day ("tối qua" says two things)."""
    if atom.kind in _DAY_KINDS:
        return {"day"}
    if atom.kind in ("clock", "colon"):
        return {"clock"}
    if atom.kind == "part":
        return {"part", "day"} if atom.m["ps"] else {"part"}
    return {"alone"}


# --- resolution --------------------------------------------------------------------------------------


def _local(received_at: datetime) -> datetime:
    """received_at in Vietnam; a naive value is taken as Vietnam local time."""
    if received_at.tzinfo is None:
        return received_at.replace(tzinfo=VN_TZ)
    return received_at.astimezone(VN_TZ)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _latest_date(month: int, day: int, today: date) -> date | None:
    """The latest D/M not after today (year taken from context)."""
    for year in range(today.year, today.year - 9, -1):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= today:
            return candidate
    return None


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    value = int(text)
    return value + 2000 if len(text) == 2 else value


def _day_of(atom: _Atom, today: date) -> date | None:
    """The calendar day a day atom names (None when it names an impossible date)."""
    m, kind = atom.m, atom.kind
    if kind == "iso":
        return _safe_date(int(m["iy"]), int(m["im"]), int(m["id"]))
    if kind in ("datew", "daten"):
        day, month = (int(m["wd"]), int(m["wm"])) if kind == "datew" else (int(m["nd"]), int(m["nm"]))
        year = _year(m["wy"] if kind == "datew" else m["ny"])
        if year is None:
            return _latest_date(month, day, today)
        return _safe_date(year, month, day)
    if kind == "rel":
        return today + timedelta(days=_REL_DAYS[_squash(m["rw"])])
    if kind == "ago":
        return today - timedelta(days=int(m["an1"] or m["an2"]))
    if kind == "weekday":
        target = 6 if m["wdn"] is None else _WEEKDAYS[m["wdn"]]
        which = _squash(m["wdw"] or "")
        if which in ("tuan truoc", "tuan roi"):
            return today - timedelta(days=today.weekday() + 7 - target)
        if which == "tuan nay":
            return today - timedelta(days=today.weekday() - target)
        return today - timedelta(days=(today.weekday() - target) % 7)
    return None


def _squash(text: str) -> str:
    return " ".join(text.split())


def _resolve(group: list[_Atom], received: datetime) -> tuple[datetime, Precision, datetime] | None:
    """(value, precision, start of the expressed period) or None when the group makes no sense.

    In the small hours a person's "today" is still the day that is ending: "tối nay" written at 00:30 is
    the evening just past, not the one to come.  So a "nay" that would lie ahead, written before
    ``_DAY_BEGINS``, is read on the day before."""
    resolved = _resolve_on(group, received, received.date())
    if (
        resolved is not None
        and received.hour < _DAY_BEGINS
        and resolved[2] > received + FUTURE_TOLERANCE
        and any(_says_today(atom) for atom in group)
    ):
        return _resolve_on(group, received, received.date() - timedelta(days=1)) or resolved
    return resolved


def _says_today(atom: _Atom) -> bool:
    """ "hôm nay", or a part of the day with "nay" ("sáng nay", "tối nay")."""
    if atom.kind == "rel":
        return _squash(atom.m["rw"]) == "hom nay"
    return atom.kind == "part" and atom.m["ps"] is not None and _squash(atom.m["ps"]) in ("nay", "hom nay")


def _resolve_on(group: list[_Atom], received: datetime, today: date) -> tuple[datetime, Precision, datetime] | None:
    """``_resolve`` with the day "nay" names given."""
    by_role = {role: a for a in group for role in _roles(a)}
    first = group[0]
    if first.kind == "month":
        month = int(first.m["mm"])
        if not 1 <= month <= 12:
            return None
        year = first.m["my"]
        latest = today.year if month <= today.month else today.year - 1
        year_value = latest if year is None else int(year)
        start = datetime(year_value, month, 1, tzinfo=VN_TZ)
        return start, "month", start
    if first.kind == "lastmonth":
        last_month_end = today.replace(day=1) - timedelta(days=1)
        start = datetime(last_month_end.year, last_month_end.month, 1, tzinfo=VN_TZ)
        return start, "month", start
    if first.kind == "week":
        monday = today - timedelta(days=today.weekday() + 7)
        start = datetime.combine(monday, time(), VN_TZ)
        return start, "week", start

    day_atom, clock, part = by_role.get("day"), by_role.get("clock"), by_role.get("part")
    if day_atom is part:
        day_atom = None
    day: date | None = None
    if day_atom is not None:
        day = _day_of(day_atom, today)
        if day is None:
            return None
    part_word = _squash(part.m["pw"]) if part is not None else None
    part_suffix = _squash(part.m["ps"]) if part is not None and part.m["ps"] else None
    if part_suffix is not None:
        day = today + timedelta(days=_REL_DAYS[part_suffix])

    if day_atom is not None and day_atom.kind == "iso" and day_atom.m["ih"] is not None:
        if clock is not None:
            return None
        return _iso_datetime(day_atom.m, received)

    if clock is not None:
        hour, minute = _clock(clock)
        if hour is None:
            return None
        if part_word is not None:
            hour = _adjust_hour(hour, part_word)
        precision: Precision = "minute" if minute is not None else "hour"
        extra_day = 0
        if hour >= 24:
            hour, extra_day = hour - 24, 1
        if day is None:
            value = datetime.combine(today, time(hour, minute or 0), VN_TZ)
            if value > received + FUTURE_TOLERANCE:
                value -= timedelta(days=1)
        else:
            if part_word in ("dem", "khuya") and part_suffix is not None and hour < 6:
                extra_day = 1
            value = datetime.combine(day + timedelta(days=extra_day), time(hour, minute or 0), VN_TZ)
        return value, precision, value
    if part_word is not None:
        if day is None:
            return None  # a bare "sáng" / "tối" says nothing about the day
        start_hour, hour = _PARTS[part_word]
        return (
            datetime.combine(day, time(hour), VN_TZ),
            "part_of_day",
            datetime.combine(day, time(start_hour), VN_TZ),
        )
    if day is None:
        return None
    start = datetime.combine(day, time(), VN_TZ)
    return start, "day", start


def _iso_datetime(m: re.Match[str], received: datetime) -> tuple[datetime, Precision, datetime] | None:
    day = _safe_date(int(m["iy"]), int(m["im"]), int(m["id"]))
    hour, minute = int(m["ih"]), int(m["imi"])
    if day is None or hour > 23 or minute > 59:
        return None
    tz = m["itz"]
    if tz is None:
        value = datetime.combine(day, time(hour, minute), VN_TZ)
    else:
        value = datetime.combine(day, time(hour, minute), _offset(tz)).astimezone(VN_TZ)
    return value, "minute", value


def _offset(tz: str) -> timezone:
    if tz == "z":
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _clock(atom: _Atom) -> tuple[int | None, int | None]:
    m = atom.m
    if atom.kind == "colon":
        hour = int(m["kh"])
        minute: int | None = int(m["km"])
    else:
        hour = int(m["ch"])
        minute = int(m["cm"]) if m["cm"] is not None else None
        if m["half"] is not None:
            minute = 30
        elif m["kem"] is not None:
            before = int(m["kem"])
            if not 0 < before < 60 or hour == 0:
                return None, None
            hour, minute = hour - 1, 60 - before
    if hour > 24 or (minute is not None and minute > 59) or (hour == 24 and minute):
        return None, None
    return hour, minute


def _adjust_hour(hour: int, part: str) -> int:
    """'2 giờ chiều' is 14:00, '10 giờ tối' 22:00, '12 giờ đêm' midnight."""
    if part in ("chieu", "toi") and hour < 12:
        return hour + 12
    if part == "trua" and 1 <= hour <= 4:
        return hour + 12
    if part in ("dem", "khuya", "nua dem"):
        if 7 <= hour <= 11:
            return hour + 12
        if hour == 12:
            return 24
    return hour


def _candidates(text: str, received_at: datetime, relaxed: bool) -> Iterator[tuple[TimeResult, bool]]:
    """Resolvable expressions in order, lazily, with a flag for "looks like a document reference"."""
    text = unicodedata.normalize("NFC", text[:_MAX_TEXT])
    folded = text.translate(_FOLD)
    received = _local(received_at)
    for group in _groups(_atoms(text, folded), folded):
        if not relaxed and _is_vague(group):
            continue
        resolved = _resolve(group, received)
        if resolved is None:
            continue
        value, precision, period_start = resolved
        start, end = group[0].start, group[-1].end
        counted = _counted(group[0], folded)
        if counted is None:
            continue
        if counted[0]:
            value, period_start, start = value - counted[0], period_start - counted[0], counted[1]
        reference = group[0].kind in ("datew", "daten", "iso") and _after_reference(folded, start)
        result = TimeResult(value, precision, text[start:end], period_start > received + FUTURE_TOLERANCE)
        yield result, reference


def _counted(atom: _Atom, folded: str) -> tuple[timedelta, int] | None:
    """How far a counted "N đêm nay" reaches back, and where its count starts (no count: zero days);
    None for a vague count."""
    if atom.kind != "part" or atom.m["ps"] is None or _squash(atom.m["ps"]) != "nay":
        return timedelta(), atom.start
    before = _COUNT_BEFORE.search(folded, max(0, atom.start - 12), atom.start)
    if before is None:
        return timedelta(), atom.start
    word = before.group(1)
    if word in _VAGUE_COUNTS:
        return None
    count = int(word) if word.isdigit() and len(word) <= 2 else _COUNTS.get(word)
    return (timedelta(days=count), before.start(1)) if count else (timedelta(), atom.start)


def _after_reference(folded: str, start: int) -> bool:
    """A date right after a document reference ("Quyết định số 18/2022/QĐ-UBND ngày …") or a
    letter's place-and-date header ("Hà Nội, ngày …") is not when the incident happened."""
    window_start = max(0, start - 80)
    if _REFERENCE_WORDS.search(folded, window_start, start):
        return True
    window = folded[window_start:start]
    for token in window.split()[-5:]:
        if "/" in token and any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            return True
    newline = window.rfind("\n")
    if newline < 0 and window_start > 0:
        return False
    return _HEADER_LINE.fullmatch(window[newline + 1 :]) is not None


def _is_vague(group: list[_Atom]) -> bool:
    """In free text a lone "12/3" or "21-9" is as likely a house number or a score as a date."""
    if len(group) != 1:
        return False
    atom = group[0]
    return atom.kind == "daten" and atom.m["ny"] is None and atom.m["nngay"] is None


def parse_incident_time(text: str, received_at: datetime) -> TimeResult | None:
    """The incident time written in a time field, resolved against received_at (aware; naive = VN).

    The first expression wins, except that a date which follows a document reference
    ("Quyết định số 18/2022/QĐ-UBND ngày 21/9/2022") yields to any other candidate.
    """
    return _pick(_candidates(text, received_at, relaxed=True))


def find_incident_time(text: str, received_at: datetime) -> TimeResult | None:
    """The first incident-time expression in free text (email body, chat), best effort.

    Stricter than ``parse_incident_time``: a bare "12/3" needs "ngày" or a time next to it.
    """
    return _pick(_candidates(text, received_at, relaxed=False))


def _pick(candidates: Iterator[tuple[TimeResult, bool]]) -> TimeResult | None:
    """The first candidate that is not a document reference, else the first reference."""
    first_reference: TimeResult | None = None
    for result, reference in candidates:
        if not reference:
            return result
        if first_reference is None:
            first_reference = result
    return first_reference
