"""Vietnamese typed with the input method switched off: VIQR, Telex and VNI keystrokes, converted back.

Many citizens (older ones especially) type with the Vietnamese keyboard off, so its conventions show:

* **VIQR** (RFC 1456): the mark follows the letter — ``Ddu+o+`ng`` = "Đường".  Hats ``^`` (â ê ô),
  breve ``(`` (ă), horn ``+`` (ơ ư), ``dd`` (đ); tones ``'`` sắc, ``\\``` huyền, ``?`` hỏi, ``~`` ngã,
  ``.`` nặng.  Doubled vowels (``aa`` = â) are accepted as well: people mix in Telex habits.
* **Telex** keystrokes: ``aa ee oo`` hats, ``aw`` ă, ``ow`` ơ, ``uw``/``w`` ư, ``dd`` đ; the tone key
  ends the word (or follows the vowel): ``s`` sắc, ``f`` huyền, ``r`` hỏi, ``x`` ngã, ``j`` nặng —
  ``Dduwowngf`` = "Đường".
* **VNI** keystrokes: digits after the letter: ``1..5`` tones (sắc huyền hỏi ngã nặng), ``6`` hat,
  ``7`` horn, ``8`` breve, ``9`` đ — ``D9u7o72ng`` = "Đường".  A modifier typed at the end of the word
  goes to the nearest letter it fits ("nuoc71" = "nước").

Conversion is per word and only where the result is a valid Vietnamese syllable (syllables.py decides,
no word list).  Whole-text guards keep clean text safe: only words with the telltale punctuation, digit
or letter patterns are tried (URLs, e-mail addresses, numbers and codes never are); the conversion is
kept only when it makes the text Vietnamese with marks and a word shows an unmistakable sign (a hat,
horn, breve or đ, or a mark inside the word) — a word with only a tone key ("bar", "is") follows such
words, never converts alone (in a name, place or time two of them may: "Phamj Minh Hungf").  A text
already written with marks is looked at only when a C-level substring test finds such signs, and then
needs two such words (the keyboard switched off half-way).

Known ambiguities, measured in tests/normalizer/test_typed.py: a VIQR "." or "?" after a word is a
tone or punctuation (RFC 1456 wants "\\." and "\\?" for punctuation, and they are honoured, but nobody
types them); syllable validity decides where it can ("nu+o+'c." already has its tone, "da^n." has its
"." where no tone is typed), and _is_punctuation says what is left.  Telex "oo" is read as ô ("xoong"
typed as "xoongs" reads "xống").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Final, Literal

from normalizer.text.syllables import MARKED, SYLLABLE_CLASS, _tone_positions, syllable_stats
from normalizer.text.tokens import lowered

Convention = Literal["viqr", "telex", "vni"]
# What follows a word: nothing special, a new sentence, the end of prose, the end of a name/place/time.
Boundary = Literal["", "sentence", "text", "field"]

GRAVE, ACUTE, HOOK, TILDE, DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
HAT, BREVE, HORN = "\u0302", "\u0306", "\u031b"

# The three key tables, the only data this module has.
_VIQR_TONES: Final = {"'": ACUTE, "`": GRAVE, "?": HOOK, "~": TILDE, ".": DOT}
_VIQR_SHAPES: Final = {"^": HAT, "(": BREVE, "+": HORN}
_TELEX_TONES: Final = {"s": ACUTE, "f": GRAVE, "r": HOOK, "x": TILDE, "j": DOT}
_VNI_KEYS: Final = {"1": ACUTE, "2": GRAVE, "3": HOOK, "4": TILDE, "5": DOT, "6": HAT, "7": HORN, "8": BREVE}

# Which base vowel each shape fits.
_FITS: Final = {HAT: "aeo", BREVE: "a", HORN: "ou"}
_VOWELS: Final = frozenset("aeiouy")
_ONSETS: Final = (
    "ngh", "ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr",
    "b", "c", "d", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
)  # fmt: skip

# Cheap telltales: only tokens matching one of these are tried at all.
_VIQR_SIGN: Final = re.compile(r"[a-zA-Z][\^(+'`?~.]")
_VNI_SIGN: Final = re.compile(r"^[a-zA-Z]+[1-9][a-zA-Z1-9]*$")
_TELEX_SIGN: Final = re.compile(r"^[a-zA-Z]+$")
_TELEX_SHAPES: Final = re.compile(r"aa|ee|oo|w|^dd", re.IGNORECASE)
_LEAD: Final = "\"'([{“‘«*_"
_EDGE: Final = ",;:!()[]{}\"'“”‘’«»….?*_-"
_TRAIL_ALL: Final = ',;:!)]}"”’»….?*_'
_NOT_WORD: Final = re.compile(r"@|://|^www\.|\.(com|net|org|gov|edu|info|io|vn)\b", re.IGNORECASE)
_ENGLISH_APOSTROPHE: Final = re.compile(r"^i'm$", re.IGNORECASE)  # "ím" is a syllable; "don't" is not

_MIN_MARKED: Final = 0.35
_MIN_COVERAGE: Final = 0.7
# In a text already written with marks (the keyboard switched off half-way), so many words must show
# the convention unmistakably before anything is converted.
_MIN_STRONG_IN_MARKED: Final = 2
# A name, place or time with so many words typed with tone keys only ("Phamj Minh Hungf") is converted.
_MIN_TONE_ONLY: Final = 2


@dataclass(frozen=True, slots=True)
class _Letter:
    base: str  # lowercase ASCII letter, or "đ"
    upper: bool
    shape: str = ""  # HAT, BREVE or HORN


@dataclass(frozen=True, slots=True)
class _Parsed:
    letters: tuple[_Letter, ...]
    tone: str
    tone_at: int | None  # the letter the tone was typed after, when typed inside the word
    strong: bool  # a hat/horn/breve/đ, or a mark typed inside the word: not an accident of English


@dataclass(frozen=True, slots=True)
class TypedText:
    """A text with its keyboard-less words converted; ``words`` counts conversions per convention."""

    text: str
    words: tuple[tuple[Convention, int], ...]

    @property
    def convention(self) -> Convention:
        """The convention most words were typed in."""
        return max(self.words, key=lambda item: item[1])[0]


def _with_shape(letters: list[_Letter], index: int, shape: str) -> bool:
    letter = letters[index]
    if letter.base not in _FITS[shape] or letter.shape:
        return False
    letters[index] = _Letter(letter.base, letter.upper, shape)
    return True


def _float_shape(letters: list[_Letter], shape: str) -> bool:
    """A shape typed after the word's letters: onto the last vowel it fits ("uo" takes a horn on both)."""
    for index in range(len(letters) - 1, -1, -1):
        if letters[index].base in _FITS[shape] and not letters[index].shape:
            _with_shape(letters, index, shape)
            if shape == HORN and letters[index].base == "o" and index and letters[index - 1].base == "u":
                _with_shape(letters, index - 1, shape)
            return True
    return False


def _onset_length(lower: str) -> int:
    for onset in _ONSETS:
        if lower.startswith(onset):
            if onset == "gi" and not any(ch in _VOWELS for ch in lower[2:]):
                return 1  # "gìn": g + in
            return len(onset)
    return 0


def _tone_candidates(lower: str) -> list[int]:
    """Where the tone goes, best first: the standard (old-style) place, then any other vowel."""

    start = _onset_length(lower.replace("đ", "d"))
    rhyme = lower[start:]
    ordered = [start + pos for pos in _tone_positions(rhyme)]
    ordered += [i for i, ch in enumerate(lower) if ch in "aăâeêioôơuưy" and i not in ordered]
    return ordered


def _compose(parsed: _Parsed) -> str | None:
    """The syllable the keys spell, with its case, or None when it is not a valid Vietnamese syllable.

    A horn typed over "uo" is "ươ", except in the few syllables where only the o takes it ("thuở",
    "quơ"): tried second.
    """
    word = _spell(parsed)
    if word is None:
        letters = parsed.letters
        for index in range(len(letters) - 1):
            if letters[index].shape == HORN == letters[index + 1].shape and letters[index].base == "u":
                bare = _Letter("u", letters[index].upper)
                fixed = (*letters[:index], bare, *letters[index + 1 :])
                return _spell(_Parsed(fixed, parsed.tone, parsed.tone_at, parsed.strong))
    return word


def _spell(parsed: _Parsed) -> str | None:
    chars = [
        unicodedata.normalize("NFC", letter.base + letter.shape) if letter.base != "đ" else "đ"
        for letter in parsed.letters
    ]
    lower = "".join(chars)
    if parsed.tone:
        order = _tone_candidates(lower)
        if parsed.tone_at is not None and parsed.tone_at in order:
            order.remove(parsed.tone_at)
            order.insert(0, parsed.tone_at)
        for index in order:
            toned = chars.copy()
            toned[index] = unicodedata.normalize("NFC", chars[index] + parsed.tone)
            word = "".join(toned)
            if SYLLABLE_CLASS.get(word) == MARKED:
                break
        else:
            return None
    else:
        word = lower
        if SYLLABLE_CLASS.get(word) != MARKED:
            return None
    return "".join(ch.upper() if letter.upper else ch for ch, letter in zip(word, parsed.letters, strict=True))


def _parse_viqr(word: str) -> _Parsed | None:
    letters: list[_Letter] = []
    tone, tone_at, strong = "", None, False
    index = 0
    while index < len(word):
        ch = word[index]
        low = ch.lower()
        if low == "d" and not letters and word[index + 1 : index + 2].lower() == "d":
            letters.append(_Letter("đ", ch.isupper()))
            strong = True
            index += 2
            continue
        if low.isascii() and low.isalpha():
            if letters and low in "aeo" and letters[-1].base == low and not letters[-1].shape:
                _with_shape(letters, len(letters) - 1, HAT)  # "aa" = â, typed as in Telex
            else:
                letters.append(_Letter(low, ch.isupper()))
        elif ch in _VIQR_SHAPES:
            if not letters or not _with_shape(letters, len(letters) - 1, _VIQR_SHAPES[ch]):
                return None
            strong = True
        elif ch in _VIQR_TONES:
            if tone or not letters:
                return None
            tone, tone_at = _VIQR_TONES[ch], len(letters) - 1
            strong = strong or index < len(word) - 1
        else:
            return None
        index += 1
    if not tone and not strong:
        return None
    return _Parsed(tuple(letters), tone, tone_at, strong)


def _parse_vni(word: str) -> _Parsed | None:
    letters: list[_Letter] = []
    tone, tone_at, strong = "", None, False
    for index, ch in enumerate(word):
        if ch.isalpha():
            letters.append(_Letter(ch.lower(), ch.isupper()))
            continue
        if ch == "9":
            if not letters or letters[-1].base != "d" or len(letters) != 1:
                return None
            letters[-1] = _Letter("đ", letters[-1].upper)
            strong = True
            continue
        key = _VNI_KEYS.get(ch)
        if key is None:
            return None
        if key in _FITS:
            if not (_with_shape(letters, len(letters) - 1, key) or _float_shape(letters, key)):
                return None
            strong = True
        else:
            if tone:
                return None
            tone = key
            tone_at = len(letters) - 1 if index < len(word) - 1 else None  # at the end: placed by rule
            strong = strong or tone_at is not None
    if len(letters) < 2 and not (strong or (tone and not letters[0].upper)):
        return None  # "A1", "B2": codes, not syllables; "o73" (ở) and "y1" (ý) are words
    return _Parsed(tuple(letters), tone, tone_at, strong)


def _parse_telex(word: str, tone_at: int | None = None) -> _Parsed | None:
    """Telex keys; the tone key ends the word, or sits at ``tone_at`` (typed right after the vowel)."""
    lower = word.lower()
    tone = ""
    if tone_at is not None:
        tone = _TELEX_TONES[lower[tone_at]]
        word = word[:tone_at] + word[tone_at + 1 :]
    elif len(lower) > 1 and lower[-1] in _TELEX_TONES and any(ch in _VOWELS or ch == "w" for ch in lower[:-1]):
        tone = _TELEX_TONES[lower[-1]]
        word = word[:-1]
    letters: list[_Letter] = []
    strong = False
    index = 0
    while index < len(word):
        ch = word[index]
        low = ch.lower()
        if low == "d" and not letters and word[index + 1 : index + 2].lower() == "d":
            letters.append(_Letter("đ", ch.isupper()))
            strong = True
            index += 2
            continue
        if low == "w":
            previous = letters[-1] if letters else None
            if previous is not None and previous.base in "aou" and not previous.shape:
                _with_shape(letters, len(letters) - 1, BREVE if previous.base == "a" else HORN)
                if previous.base == "o" and len(letters) > 1 and letters[-2].base == "u" and not letters[-2].shape:
                    _with_shape(letters, len(letters) - 2, HORN)  # "uow" = ươ
            elif not any(letter.base in _VOWELS for letter in letters) or index < len(word) - 1:
                letters.append(_Letter("u", ch.isupper(), HORN))  # "w" alone = ư
            elif not _float_shape(letters, HORN) and not _float_shape(letters, BREVE):
                return None
            strong = True
        elif letters and low in "aeo" and letters[-1].base == low and not letters[-1].shape:
            _with_shape(letters, len(letters) - 1, HAT)
            strong = True
        else:
            letters.append(_Letter(low, ch.isupper()))
        index += 1
    if not tone and not strong:
        return None
    return _Parsed(tuple(letters), tone, None, strong)


def _convert_word(core: str, boundary: Boundary) -> tuple[str, Convention, bool] | None:
    """One token stripped of edge punctuation: (converted, convention, strong) or None."""
    if _VIQR_SIGN.search(core):
        if _ENGLISH_APOSTROPHE.search(core):
            return None
        viqr = _convert_viqr(core, boundary)
        if viqr is not None:
            return viqr
        stripped = core.rstrip(".?")
        if stripped == core or not stripped:
            return None
        other = _convert_word(stripped, boundary)
        return (other[0] + core[len(stripped) :], other[1], other[2]) if other else None
    if _VNI_SIGN.match(core):
        parsed = _parse_vni(core)
        out = _compose(parsed) if parsed else None
        return (out, "vni", parsed.strong) if out and parsed else None
    if len(core) > 1 and _TELEX_SIGN.match(core):
        return _convert_telex(core)
    return None


def _convert_telex(core: str) -> tuple[str, Convention, bool] | None:
    """The tone key at the end first ("nguwowif"), then right after a vowel inside ("nguwowfi")."""
    lower = core.lower()
    if lower[-1] in _TELEX_TONES or _TELEX_SHAPES.search(core):
        parsed = _parse_telex(core)
        out = _compose(parsed) if parsed else None
        if out and parsed:
            return out, "telex", parsed.strong
    for index in range(1, len(lower) - 1):
        if lower[index] in _TELEX_TONES and (lower[index - 1] in _VOWELS or lower[index - 1] == "w"):
            parsed = _parse_telex(core, index)
            out = _compose(parsed) if parsed else None
            if out and parsed:
                return out, "telex", parsed.strong
    return None


def _convert_viqr(core: str, boundary: Boundary) -> tuple[str, Convention, bool] | None:
    """A VIQR word; a final "." or "?" is punctuation at a boundary (_is_punctuation) or after a tone."""
    tail = ""
    if core[-1] in ".?" and _is_punctuation(core[:-1], core[-1], boundary):
        core, tail = core[:-1], core[-1]
    parsed = _parse_viqr(core)
    if parsed is None and core[-1:] in ".?'":
        core, tail = core[:-1], core[-1] + tail  # "nu+o+'c." — the second mark is punctuation
        parsed = _parse_viqr(core)
    if parsed is None:
        return None
    out = _compose(parsed)
    return (out + tail, "viqr", parsed.strong) if out else None


def _is_punctuation(keys: str, mark: str, boundary: Boundary) -> bool:
    """Whether a "." or "?" typed after ``keys`` is punctuation rather than the dot below or the hook.

    Only at a boundary, and first where no tone goes: after a final consonant ("da^n. To^i", "kho^ng?
    To^i"; RFC 1456 types the tone right after its vowel).  Right after a vowel it is where the tone
    goes, so syllable validity cannot tell: RFC 1456 asks "\\." for punctuation there, which nobody
    types.  At the end of prose it is punctuation; at the end of a name, place or time (never a
    sentence) the tone ("phu+o+`ng Lo^.c Tho.").  Before a new sentence a "." is a period after a
    lowercase word ("tro+`i mu+a. Ho^m nay") and the tone in a capitalised one, inside a name ("Bo^.
    No^.i vu.", "Nguye^~n Thi. Mai"); a "?" is the hook ("o+? Hue^'", "So+? Y te^'": "ở" before a place
    is commoner than a question ending in an open syllable without tone, "dda^u?").
    """
    if not boundary:
        return False
    if keys.rstrip(_SHAPE_KEYS)[-1:].lower() not in _VOWELS:
        return True
    if boundary != "sentence":
        return boundary == "text"
    return mark == "." and not keys[:1].isupper()


_SHAPE_KEYS: Final = "".join(_VIQR_SHAPES)
_ESCAPE: Final = re.compile(r"\\([\^(+'`?~.\\])")
_TOKEN: Final = re.compile(r"\S+")
# Where a token holds two words: a slash, or a "(" that is no breve (not after an "a", nor after an "a"
# and its tone: "Phu'(phu+o+`ng", "Tho.(ga^`n").
_PARTS: Final = re.compile(r"/|(?<![aA])(?<![aA]['`?~.])\((?=[A-Za-z])")
_ACRONYM: Final = re.compile(r"[A-ZĐ]{2,}\b|[A-Z]\.")


_WORDS: Final = re.compile(r"[^\W\d_]+")


def _runs(text: str) -> list[str]:
    """The words of two letters or more, URLs and e-mail addresses left out."""
    return [w for token in text.split() if not _NOT_WORD.search(token) for w in _WORDS.findall(token) if len(w) > 1]


def _all_syllables(text: str) -> bool:
    return all(word.lower() in SYLLABLE_CLASS for word in _runs(text))


def _is_vietnamese(text: str, names_aside: bool) -> bool:
    """Enough marked syllables, and most words syllables.

    Acronyms ("UBND", "VBĐT") and URLs are not counted, unless the whole text is in capitals; with
    ``names_aside`` neither are capitalised names that are not syllables ("Yersinia", "VinFast"; not the
    first word).  Only for VIQR and VNI, whose marks English never has: English has Telex's doubled
    vowels ("Soon at Lotte Mart" would read "Sôn at").
    """
    runs = _runs(text)
    shouting = sum(w.isupper() for w in runs) * 2 > len(runs)
    if names_aside and not shouting:
        runs = runs[:1] + [w for w in runs[1:] if not w[0].isupper() or w.lower() in SYLLABLE_CLASS]
    words = [w.lower() for w in runs if shouting or not w.isupper()]
    if not words:
        return False
    classes = [SYLLABLE_CLASS.get(word) for word in words]
    marked = classes.count(MARKED) / len(words)
    coverage = (len(words) - classes.count(None)) / len(words)
    return marked >= _MIN_MARKED and coverage >= _MIN_COVERAGE


_STRONG_SIGNS: Final = ("w", "dd", "aa", "ee", "oo", "^", "+")
_VNI_ANYWHERE: Final = re.compile(r"[a-z][1-9]")


def _may_hold_keystrokes(low: str) -> bool:
    """Substring tests (in C) for the signs a keystroke word shows; Vietnamese itself has none of them."""
    return any(sign in low for sign in _STRONG_SIGNS) or _VNI_ANYWHERE.search(low) is not None


def _convert_part(part: str, boundary: Boundary) -> tuple[str, Convention, bool] | None:
    """One slash-free piece of a token, edge punctuation kept in place; ``boundary`` is what follows it."""
    escape = _ESCAPE.search(part)
    if escape is not None:  # RFC 1456: "\\." is a period, "\\?" a question mark: the rest is as typed
        literal = _ESCAPE.sub(r"\1", part[escape.start() :])
        head = _convert_part(part[: escape.start()], "")
        if head is None:
            return part[: escape.start()] + literal, "viqr", False
        return head[0] + literal, head[1], head[2]
    core = part.lstrip(_LEAD)
    lead = part[: len(part) - len(core)]
    stripped = core.rstrip(_TRAIL_ALL)
    trail = core[len(stripped) :]
    if not stripped:
        return None
    if boundary == "sentence" and stripped.isupper():
        boundary = ""  # an all-capitals word says nothing by the capital after it ("KIE^'N NGHI. TRE^N")
    converted = None
    if trail[:1] in (".", "?") and not trail.startswith("..."):  # the VIQR dot below / hook, or punctuation
        if len(trail) > 1:  # punctuation follows ("vi.," "tu+?."): the first one is a mark
            boundary = ""
        converted = _convert_word(stripped + trail[0], boundary)
        if converted is not None:
            trail = trail[1:]
    if converted is None:
        converted = _convert_word(stripped, boundary)
    if converted is None:
        return None
    return lead + converted[0] + trail, converted[1], converted[2]


def _starts_sentence(following: str, after: str) -> bool:
    """Whether a sentence seems to begin at ``following`` (so a "." before it is a period).

    "… da^n. To^i …" does; "nghi. UBND", "ho^. A12-05", "vu. Internet", "Bo^. No^.i vu." (a name of two
    capitalised words) do not.
    """
    if not following[:1].isupper() or _ACRONYM.match(following) or after[:1].isupper():
        return False
    if any(ch.isdigit() for ch in following):
        return False
    word = following.rstrip(_TRAIL_ALL)
    plain_foreign = word.isalpha() and word.isascii() and word.lower() not in SYLLABLE_CLASS
    return not (plain_foreign and _convert_telex(word) is None)  # "Internet", "Heaven": names, not sentences


def _one_word_sentence(tokens: list[re.Match[str]], position: int) -> bool:
    """The word opens the text or follows a sentence's end: "Du+. Ho^.i nghi." is not a sentence "Dư."."""
    if position == 0:
        return True
    return (
        tokens[position - 1].group().endswith((".", "?", "!", ":"))
        and not tokens[position - 1].group()[-2:-1].isalpha()
    )


def convert_typed(text: str, *, prose: bool = True) -> TypedText | None:
    """``text`` with its VIQR/Telex/VNI-typed words converted to NFC Vietnamese, or None to leave it.

    ``prose`` is false for a name, place or time: a VIQR "." at its end is then a dot below, not a period.

    None when the text already carries marks, when no word converts, or when the conversion would not
    make it Vietnamese with marks (English with an "is" or a "box", a code, a URL).
    """
    if not text:
        return None
    stats = syllable_stats(text)
    marked_text = stats.marked_ratio >= _MIN_MARKED
    if marked_text and (
        stats.words == stats.marked + stats.plain + stats.needs_marks + stats.foreign_words
        or not _may_hold_keystrokes(lowered(text).text)
    ):
        return None  # the fast path: clean Vietnamese never gets further
    tokens = list(_TOKEN.finditer(text))
    found: list[tuple[re.Match[str], list[str], list[Convention | None], list[bool]]] = []
    strong: set[Convention] = set()
    for position, match in enumerate(tokens):
        token = match.group()
        # In marked text only the words that are not syllables can be keystrokes: skipped cheaply.
        if marked_text and (not token.isascii() or token.lower().strip(_EDGE) in SYLLABLE_CLASS):
            continue
        if _NOT_WORD.search(token):
            continue  # URLs and e-mail addresses are never words
        following = tokens[position + 1].group().lstrip(_LEAD) if position + 1 < len(tokens) else ""
        after = tokens[position + 2].group().lstrip(_LEAD) if position + 2 < len(tokens) else ""
        at_end = not following or "\n" in text[match.end() : match.end() + 2]
        starts = _starts_sentence(following, after) and not _one_word_sentence(tokens, position)
        parts = _PARTS.split(token)  # "da^n/doanh", "Coongr/trang", "Phu'(phu+o+`ng": two words
        conventions: list[Convention | None] = [None] * len(parts)
        strengths = [False] * len(parts)
        for index, part in enumerate(parts):
            last_part = index == len(parts) - 1
            boundary: Boundary = ""
            if last_part and at_end:
                boundary = "text" if prose else "field"
            elif last_part and starts:
                boundary = "sentence"
            converted = _convert_part(part, boundary)
            if converted is not None:
                parts[index], conventions[index], strengths[index] = converted
                if converted[2]:
                    strong.add(converted[1])
        if any(conventions):
            found.append((match, parts, conventions, strengths))
    # A word with only a tone key ("bar", "is", "box") counts beside words that show the same convention
    # unmistakably.  In a name, place or time (never an English sentence: "This is a box" reads as
    # syllables), two or more such words also count when they make every word a Vietnamese syllable
    # ("Phamj Minh Hungf", "Bui2 Thi5 Thu Ha2": a name with no hat, horn, breve or đ).  One is not enough
    # ("Max Lam", "xe bus"), so "sangs nay" stays as typed.
    weak = Counter(
        c for *_, conventions, strengths in found for c, s in zip(conventions, strengths, strict=True) if c and not s
    )
    trusted = strong if prose or marked_text else strong | {c for c, n in weak.items() if n >= _MIN_TONE_ONLY}
    pieces: list[str] = []
    counts: dict[Convention, int] = {}
    last = 0
    for match, parts, conventions, strengths in found:
        original = _PARTS.split(match.group())
        for index, convention in enumerate(conventions):
            if convention is None:
                continue
            if convention not in trusted and not strengths[index]:
                parts[index] = original[index]
                continue
            counts[convention] = counts.get(convention, 0) + 1
        pieces.append(text[last : match.start()])
        separators = _PARTS.findall(match.group())
        pieces.append(parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=True)))
        last = match.end()
    if not counts:
        return None
    if marked_text and sum(strength for *_, strengths in found for strength in strengths) < _MIN_STRONG_IN_MARKED:
        return None  # marked text with a stray "low" or "now": not keyboard-off typing
    pieces.append(text[last:])
    result = unicodedata.normalize("NFC", "".join(pieces))
    if not _is_vietnamese(result, names_aside="telex" not in counts) or (
        not trusted <= strong and not _all_syllables(result)
    ):
        return None
    return TypedText(result, tuple(sorted(counts.items())))
