"""Field ("lĩnh vực") and kind of a submission, from word lists in ``config/data/*.toml``.

The fields are the ones the Khánh Hòa provincial PAKN reports count by; the words that signal each
field, the urgent urban-infrastructure incidents (handled within 1 working day under the provincial
rules) and the deadlines live in ``categories.toml`` so that operators can tune them without code.

Matching is a dictionary of phrases keyed by their first word (an Aho-Corasick-like walk, no big
regex alternation): text written with diacritics is matched with diacritics ("mất nước" is not
"mặt nước"); text written without any is matched on the stripped form ("mat nuoc").  Tone placement
("hoà"/"hòa", "thuỷ"/"thủy") is made uniform on both sides first.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, count
from operator import not_
from pathlib import Path
from types import MappingProxyType

from normalizer.fields.places import fold
from normalizer.text.tokens import is_nfc, lowered

__all__ = [
    "Category",
    "CategoryTable",
    "Classification",
    "KindDecision",
    "KindRule",
    "KindTable",
    "classify",
    "kind_of_submission",
    "load_categories",
    "load_kinds",
]

_O_TONE = {"à": "ò", "á": "ó", "ả": "ỏ", "ã": "õ", "ạ": "ọ", "è": "ò", "é": "ó", "ẻ": "ỏ", "ẽ": "õ", "ẹ": "ọ"}
_U_TONE = {"ỳ": "ù", "ý": "ú", "ỷ": "ủ", "ỹ": "ũ", "ỵ": "ụ"}
_BARE = {**dict.fromkeys("àáảãạ", "a"), **dict.fromkeys("èéẻẽẹ", "e"), **dict.fromkeys("ỳýỷỹỵ", "y")}
_WORD = re.compile(r"\w+|[^\w\s]")  # punctuation is a token: phrases do not cross it


# Old-style "hoà", "khoẻ", "thuỷ" -> new-style "hòa", "khỏe", "thủy" (not "quý": qu is an onset).  One
# regex pass over the text: far cheaper than a Python call per word.
_OLD_TONE = re.compile(r"o([àáảãạèéẻẽẹ])(?!\w)|(?<!q)u([ỳýỷỹỵ])(?!\w)")
_OLD_TONE_HINT = re.compile(r"[ou][àáảãạèéẻẽẹỳýỷỹỵ](?!\w)")  # a quick scan first: most texts have none


def _retone(match: re.Match[str]) -> str:
    if match.group(1):
        mark = match.group(1)
        return _O_TONE[mark] + _BARE[mark]
    return _U_TONE[match.group(2)] + "y"


@lru_cache(maxsize=64)
def _words(text: str) -> tuple[str, ...]:
    """Lower-case words in NFC with new-style tone placement: the form phrases are compared in.

    Cached: the classification and the kind of a submission read the same content.
    """
    if not is_nfc(text):
        text = unicodedata.normalize("NFC", text)
    low = lowered(text)  # the encoding check has split the same content already
    tokens = _OLD_TONE.sub(_retone, low.text).split() if _OLD_TONE_HINT.search(low.text) else low.tokens
    # Most whitespace tokens are a bare word: only the others go through the regex (half the time of a
    # findall over the whole text, which is slow on non-ASCII text).  The others are found in C
    # (``compress``) and the bare words between them taken as slices: a Python step per token with
    # punctuation, not per token.
    words: list[str] = []
    start = 0
    for i in compress(count(), map(not_, map(str.isalnum, tokens))):  # isalnum: \w less "_"
        words += tokens[start:i]
        words += _WORD.findall(tokens[i])
        start = i + 1
    if not start:
        return tuple(tokens)
    words += tokens[start:]
    return tuple(words)


def canon(text: str) -> str:
    """The comparison form of a phrase (see ``_words``)."""
    return " ".join(_words(text))


def _plain(words: Sequence[str]) -> list[str]:
    return [w if w.isascii() else fold(w) for w in words]


# Phrases of two or more words starting with one word, by their second word: (number of words, {words of
# the phrase: phrase as configured}), longest first.  One dict lookup per length instead of one comparison
# per phrase, and only for the lengths whose second word is there.
_Lengths = tuple[tuple[int, Mapping[tuple[str, ...], str]], ...]


def _by_length(entries: list[tuple[tuple[str, ...], str]]) -> _Lengths:
    by_n: dict[int, dict[tuple[str, ...], str]] = {}
    for seq, phrase in entries:
        by_n.setdefault(len(seq), {}).setdefault(seq, phrase)  # two phrases, one plain form: the first wins
    return tuple((n, by_n[n]) for n in sorted(by_n, reverse=True))


@dataclass(frozen=True, slots=True)
class _Starts:
    """The phrases that start with one word: the one-word phrase, and the longer ones by second word.

    Most words that start a phrase ("người", "khu", "dân") are not followed by its second word in a
    text: one dict lookup on the next word settles them, instead of one slice and lookup per length.
    """

    single: str | None
    longer: Mapping[str, _Lengths]

    @staticmethod
    def build(entries: list[tuple[tuple[str, ...], str]]) -> _Starts:
        single = next((phrase for seq, phrase in entries if len(seq) == 1), None)  # the first wins
        by_second: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for seq, phrase in entries:
            if len(seq) > 1:
                by_second.setdefault(seq[1], []).append((seq, phrase))
        return _Starts(single, {second: _by_length(v) for second, v in by_second.items()})


@dataclass(frozen=True, slots=True)
class _Spelling:
    """A text's words (``_words``) and the form phrases are compared in: with diacritics when the text
    is written with them (a few stray marks do not make it so), else without (``compared``)."""

    words: tuple[str, ...]
    has_marks: bool
    compared: tuple[str, ...]


def _spelling_of(words: tuple[str, ...]) -> _Spelling:
    n_marked = len(words) - sum(map(str.isascii, words))
    has_marks = n_marked > 0 and n_marked >= 0.2 * len(words)
    return _Spelling(words, has_marks, words if has_marks else tuple(_plain(words)))


@lru_cache(maxsize=64)
def _spelling(text: str) -> _Spelling:
    """``_spelling_of(_words(text))``, cached: the classification and the kind read the same content."""
    return _spelling_of(_words(text))


@dataclass(frozen=True, slots=True)
class _PhraseIndex:
    """Phrases by first word, for both spellings (with and without diacritics).

    Plain dicts, never changed after ``build``: a ``MappingProxyType`` would add a call to each of the
    hundreds of lookups per text.
    """

    marked: Mapping[str, _Starts]
    plain: Mapping[str, _Starts]

    @staticmethod
    def build(phrases: Iterable[str]) -> _PhraseIndex:
        marked: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        plain: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase in phrases:
            m = _words(phrase)
            p = tuple(_plain(m))
            if not m:
                continue
            marked.setdefault(m[0], []).append((m, phrase))
            plain.setdefault(p[0], []).append((p, phrase))

        def freeze(d: dict[str, list[tuple[tuple[str, ...], str]]]) -> Mapping[str, _Starts]:
            return {k: _Starts.build(v) for k, v in d.items()}

        return _PhraseIndex(freeze(marked), freeze(plain))

    def find(self, text: str) -> list[tuple[int, str]]:
        """(word position, phrase as configured) for each longest, non-overlapping occurrence."""
        return self.find_in(_spelling(text))

    def find_words(self, marked_words: Sequence[str]) -> list[tuple[int, str]]:
        return self.find_in(_spelling_of(tuple(marked_words)))

    def find_in(self, spelling: _Spelling) -> list[tuple[int, str]]:
        words = spelling.compared
        index = self.marked if spelling.has_marks else self.plain
        if index.keys().isdisjoint(words):  # no phrase can start anywhere: a set check in C
            return []
        out: list[tuple[int, str]] = []
        after = 0  # matches do not overlap: the next may start only after the last one ends
        last = len(words) - 1
        # The positions where a phrase may start, selected in C (``compress``), not a comprehension.
        for i in compress(count(), map(index.__contains__, words)):
            if i < after:
                continue
            starts = index[words[i]]
            phrase = None
            n = 1
            longer = starts.longer.get(words[i + 1]) if i < last else None
            if longer is not None:
                for n, phrases in longer:
                    phrase = phrases.get(words[i : i + n])
                    if phrase is not None:
                        break
            if phrase is None:
                phrase, n = starts.single, 1
            if phrase is not None:
                out.append((i, phrase))
                after = i + n
        return out


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    words: tuple[str, ...]
    urgent_words: tuple[str, ...] = ()
    due_working_days: int | None = None


@dataclass(frozen=True, slots=True)
class CategoryTable:
    """The fields, the fallback field, deadlines, and the phrase index built once at load time."""

    categories: tuple[Category, ...]
    fallback: str
    due_working_days: int
    urgent_due_working_days: int
    _index: _PhraseIndex
    _owner: Mapping[str, tuple[str, bool, int]]  # phrase as configured -> (code, urgent, n words)
    # Phrases at the end of a word; that they also start one is checked by ``_has_phrase``.
    urgent_objects: re.Pattern[str] | None = None
    urgent_failures: re.Pattern[str] | None = None

    def urgent_pair_in(self, text: str) -> bool:
        """An infrastructure object and a failure in the same sentence ([urgent_pairs])."""
        if self.urgent_objects is None or self.urgent_failures is None:
            return False
        folded = text.casefold()
        if not _has_phrase(self.urgent_objects, folded):  # most texts: no infrastructure object at all
            return False
        for sentence in _SENTENCES.split(folded):
            if _has_phrase(self.urgent_objects, sentence) and _has_phrase(self.urgent_failures, sentence):
                return True
        return False

    def by_code(self, code: str) -> Category:
        return next(c for c in self.categories if c.code == code)


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    name: str
    score: float
    matched: tuple[str, ...]
    urgent: bool
    due_working_days: int
    # The field that weighed most after this one, and its weight (None, 0: no other field's phrase found).
    runner_up: str | None = None
    runner_up_score: float = 0.0


def load_categories(path: Path | str, due: tuple[int, int] | None = None) -> CategoryTable:
    """Read ``categories.toml``; a phrase listed under two fields is a configuration error.

    ``due``: the ordinary and the urgent deadline in working days (the settings DUE_WORKING_DAYS and
    URGENT_DUE_WORKING_DAYS, with their legal sources); without it, the file's ``[defaults]`` or 10 and 1."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    defaults = raw.get("defaults", {})
    cats: list[Category] = []
    owner: dict[str, tuple[str, bool]] = {}
    spelled: dict[str, str] = {}
    for c in raw["category"]:
        cat = Category(
            code=c["code"],
            name=c["name"],
            words=tuple(c.get("words", ())),
            urgent_words=tuple(c.get("urgent_words", ())),
            due_working_days=c.get("due_working_days"),
        )
        for phrase, urgent in [*((w, False) for w in cat.words), *((w, True) for w in cat.urgent_words)]:
            key = canon(phrase)
            if key in owner and owner[key][0] != cat.code:
                raise ValueError(f"phrase {phrase!r} listed under {owner[key][0]} and {cat.code}")
            owner[key] = (cat.code, urgent or owner.get(key, ("", False))[1])
            spelled.setdefault(key, phrase)
        cats.append(cat)
    fallback = defaults.get("fallback", "linh-vuc-khac")
    if fallback not in {c.code for c in cats}:
        raise ValueError(f"fallback category {fallback!r} is not defined")
    return CategoryTable(
        categories=tuple(cats),
        fallback=fallback,
        due_working_days=due[0] if due else int(defaults.get("due_working_days", 10)),
        urgent_due_working_days=due[1] if due else int(defaults.get("urgent_due_working_days", 1)),
        _index=_PhraseIndex.build(spelled.values()),
        _owner=MappingProxyType({spelled[k]: (c, u, len(k.split())) for k, (c, u) in owner.items()}),
        urgent_objects=_any_phrase(raw.get("urgent_pairs", {}).get("objects", ())),
        urgent_failures=_any_phrase(raw.get("urgent_pairs", {}).get("failures", ())),
    )


_SENTENCES = re.compile(r"[.!?;\n]+")


def _any_phrase(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Any of the phrases, ending a word (for ``_has_phrase``, which checks that it starts one)."""
    words = sorted({unicodedata.normalize("NFC", p).casefold() for p in phrases}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def _has_phrase(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` matches ``text`` where no word character precedes, as ``(?<!\\w)`` would say.

    The lookbehind is checked here because at the head of the pattern it keeps the regex engine from
    skipping ahead to the phrases' first letters, which makes the search twice as slow.
    """
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):  # re's \w
            return True
        pos = start + 1
    return False


def classify(text: str, categories: CategoryTable) -> Classification:
    """The field whose phrases weigh most (a phrase weighs its number of words, counted once).

    Urgent is set by any urgent phrase, whichever field wins; urgent cases get the urgent deadline.
    No phrase at all gives the fallback field with score 0.
    """
    scores: dict[str, float] = {}
    first_at: dict[str, int] = {}
    seen: set[str] = set()
    matched: list[str] = []
    urgent = False
    for pos, phrase in categories._index.find(text):
        code, is_urgent, n_words = categories._owner[phrase]
        urgent = urgent or is_urgent
        if phrase in seen:
            continue
        seen.add(phrase)
        matched.append(phrase)
        scores[code] = scores.get(code, 0.0) + n_words + (1.0 if is_urgent else 0.0)
        first_at.setdefault(code, pos)
    urgent = urgent or categories.urgent_pair_in(text)
    code = max(scores, key=lambda k: (scores[k], -first_at[k])) if scores else categories.fallback
    cat = categories.by_code(code)
    if urgent:
        due = categories.urgent_due_working_days
    else:
        due = cat.due_working_days if cat.due_working_days is not None else categories.due_working_days
    others = [(score, -first_at[k], k) for k, score in scores.items() if k != code]
    second = max(others) if others else None
    return Classification(
        code,
        cat.name,
        scores.get(code, 0.0),
        tuple(matched),
        urgent,
        due,
        second[2] if second else None,
        second[0] if second else 0.0,
    )


# --- kind of submission -------------------------------------------------------------------------

KIND_PAKN = "phan_anh_kien_nghi"


@dataclass(frozen=True, slots=True)
class KindRule:
    kind: str
    words: tuple[str, ...]
    confidential: bool
    priority: int


@dataclass(frozen=True, slots=True)
class KindTable:
    rules: tuple[KindRule, ...]
    default: str
    not_after: tuple[tuple[str, ...], ...]  # folded word sequences that make a mention a reference
    not_before: tuple[tuple[str, ...], ...]
    window: int
    _index: _PhraseIndex
    _kind_of: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class KindDecision:
    """What the citizen is doing.  ``confidential``: a denunciation's identity is never disclosed."""

    kind: str
    matched: tuple[str, ...]
    confidential: bool


def load_kinds(path: Path | str) -> KindTable:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    rules = tuple(
        KindRule(k["kind"], tuple(k["words"]), bool(k.get("confidential", False)), int(k.get("priority", 0)))
        for k in raw["kind"]
    )
    kind_of = {canon(w): r.kind for r in rules for w in r.words}
    ref = raw.get("reference", {})
    return KindTable(
        rules=rules,
        default=raw.get("default", KIND_PAKN),
        not_after=tuple(tuple(_plain(_words(w))) for w in ref.get("not_after", ())),
        not_before=tuple(tuple(_plain(_words(w))) for w in ref.get("not_before", ())),
        window=int(ref.get("window", 3)),
        _index=_PhraseIndex.build(w for r in rules for w in r.words),
        _kind_of=MappingProxyType(kind_of),
    )


def _contains(words: Sequence[str], seqs: tuple[tuple[str, ...], ...]) -> bool:
    for seq in seqs:
        n = len(seq)
        if any(tuple(words[i : i + n]) == seq for i in range(len(words) - n + 1)):
            return True
    return False


def kind_of_submission(text: str, kinds: KindTable) -> KindDecision:
    """Denunciation (tố cáo), complaint (khiếu nại) or feedback, best effort.

    A kind word counts only as the citizen's own act: not right after a legal reference or a
    negation ("Luật Khiếu nại", "Điều 8 Luật Tố cáo", "không phải tố cáo") nor right before words
    that make it a topic ("khiếu nại là…").  When several kinds are acted, the higher priority wins
    (tố cáo, whose identity protection must not be lost).
    """
    spelling = _spelling(text)
    plain: Sequence[str] | None = None
    hits: dict[str, list[str]] = {}
    for pos, phrase in kinds._index.find_in(spelling):
        plain = plain if plain is not None else spelling.compared if not spelling.has_marks else _plain(spelling.words)
        n = len(_words(phrase))
        before = plain[max(0, pos - kinds.window) : pos]
        after = plain[pos + n : pos + n + kinds.window]
        if _contains(before, kinds.not_after) or _contains(after[:2], kinds.not_before):
            continue
        hits.setdefault(kinds._kind_of[canon(phrase)], []).append(phrase)
    if not hits:
        return KindDecision(kinds.default, (), False)
    rule = max((r for r in kinds.rules if r.kind in hits), key=lambda r: r.priority)
    matched = tuple(dict.fromkeys(p for k in hits for p in hits[k]))
    return KindDecision(rule.kind, matched, rule.confidential)
