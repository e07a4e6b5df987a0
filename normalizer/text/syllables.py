"""Vietnamese syllable validity: the one signal that tells Vietnamese (with or without marks) apart.

Every Vietnamese word is a single syllable, onset + rhyme, from a small closed set.  We enumerate that
set once at import (onsets x rhymes x tones, with the spelling rules c/k/q, g/gh, ng/ngh and the rule
that p/t/c/ch endings only take sắc or nặng) and classify a word with one dict lookup:

* ``MARKED``       — a valid syllable written with marks ("người", "đi", "phản");
* ``PLAIN``        — plain ASCII and valid as is ("anh", "cho", "ban");
* ``NEEDS_MARKS``  — plain ASCII, valid only once marks are added ("nguoi", "duong", "cac");
* ``OTHER``        — anything else (English words, mojibake, symbols).

Both tone placements are accepted ("hoà"/"hòa", "thuỷ"/"thủy"): they differ only in old vs new style.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import Final

from normalizer.text.tokens import lowered

OTHER: Final = 0
MARKED: Final = 1
PLAIN: Final = 2
NEEDS_MARKS: Final = 3

_ONSETS: Final = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh",
    "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip

# Untoned rhymes as written after the onset (the medial o/u belongs to the rhyme, except after "qu").
_RHYMES: Final = """
a ai ao au ay ac ach am an ang anh ap at
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e eo ec em en eng ep et
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
o oc oi om on ong op ot oong ooc
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêt yêu
oa oac oach oai oam oan oang oanh oao oap oat oay
oăc oăm oăn oăng oăt
oe oen oeo oet
uân uâng uât uây
uê uêch uênh
uơ
uy uya uych uyn uynh uyt uyu uyên uyêt
""".split()  # noqa: SIM905 - a table reads better than a list literal

# After "qu" the u is taken: these rhymes start with y.
_QU_EXTRA: Final = ("y", "ych", "ynh", "yt", "yn", "yên", "yêt")

_TONES: Final = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # ngang huyền sắc hỏi ngã nặng
_CHECKED_TONES: Final = ("\u0301", "\u0323")  # syllables ending in p/t/c/ch take only sắc or nặng
_VOWELS: Final = frozenset("aăâeêioôơuưy")
_HATTED: Final = frozenset("ăâêôơư")
_FRONT: Final = ("e", "ê", "i", "y")


def _tone_positions(rhyme: str) -> tuple[int, ...]:
    """Indices in ``rhyme`` where the tone mark may sit (both old and new placement)."""
    hatted = [i for i, ch in enumerate(rhyme) if ch in _HATTED]
    if hatted:
        return (hatted[-1],)
    vowel_idx = [i for i, ch in enumerate(rhyme) if ch in _VOWELS]
    if not vowel_idx:
        return ()
    open_syllable = rhyme[-1] in _VOWELS
    if not open_syllable:
        return (vowel_idx[-1],)
    if len(vowel_idx) == 1:
        return (vowel_idx[0],)
    if len(vowel_idx) == 2:
        pair = rhyme[vowel_idx[0]] + rhyme[vowel_idx[1]]
        if pair in ("oa", "oe", "uy"):
            return (vowel_idx[0], vowel_idx[1])
        return (vowel_idx[0],)
    return (vowel_idx[1],)


def _toned(rhyme: str) -> set[str]:
    checked = rhyme.endswith(("p", "t", "c", "ch"))
    out: set[str] = set()
    for pos in _tone_positions(rhyme):
        for tone in _CHECKED_TONES if checked else _TONES:
            out.add(unicodedata.normalize("NFC", rhyme[: pos + 1] + tone + rhyme[pos + 1 :]))
    return out


def _onset_allows(onset: str, rhyme: str) -> bool:
    front = rhyme.startswith(_FRONT)
    if onset in ("k", "gh", "ngh"):
        return front
    if onset in ("c", "ng"):
        return not front
    if onset == "g":
        return not rhyme.startswith(("e", "ê", "y"))
    if onset == "gi":
        return not rhyme.startswith(("i", "y"))
    if onset == "qu":
        return not rhyme.startswith(("o", "u", "ư"))
    return True


def _strip_marks(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _build() -> dict[str, int]:
    valid: set[str] = set()
    toned = {rhyme: _toned(rhyme) for rhyme in (*_RHYMES, *_QU_EXTRA)}
    for onset in _ONSETS:
        rhymes = _RHYMES if onset != "qu" else (*_RHYMES, *_QU_EXTRA)
        for rhyme in rhymes:
            if rhyme in _QU_EXTRA and rhyme not in _RHYMES and onset != "qu":
                continue
            if _onset_allows(onset, rhyme):
                valid.update(onset + form for form in toned[rhyme])
    classes: dict[str, int] = {}
    for word in valid:
        classes[word] = PLAIN if word.isascii() else MARKED
    for word in valid:
        skeleton = _strip_marks(word)
        classes.setdefault(skeleton, NEEDS_MARKS)
    # Single ASCII letters ("a", "y", "P." "Q." in addresses, English "I") say nothing either way.
    for letter in "aeiouy":
        del classes[letter]
    return classes


#: lowercase NFC word -> class; absent means OTHER (single ASCII letters are absent and not counted).
SYLLABLE_CLASS: Final[dict[str, int]] = _build()
#: every valid syllable (lowercase NFC), with or without marks.
VALID_SYLLABLES: Final[frozenset[str]] = frozenset(w for w, c in SYLLABLE_CLASS.items() if c != NEEDS_MARKS)
#: the same classes as one letter each ("m" marked, "p" plain, "n" needs marks), for ``syllable_stats``.
_CLASS_LETTER: Final[dict[str, str]] = {
    word: {MARKED: "m", PLAIN: "p", NEEDS_MARKS: "n"}[cls] for word, cls in SYLLABLE_CLASS.items()
}


def classify(word: str) -> int:
    """Class of one word (any case, NFC expected): MARKED, PLAIN, NEEDS_MARKS or OTHER."""
    return SYLLABLE_CLASS.get(word.lower(), OTHER)


def strip_marks(text: str) -> str:
    """The text with every Vietnamese mark removed (đ -> d): how it looks typed without diacritics."""
    return unicodedata.normalize("NFC", _strip_marks(text))


# Punctuation stripped from both ends of a whitespace token before the dict lookup.
_EDGE: Final = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum()) + "“”‘’„‟«»…–—•·"
_LETTER_RUN: Final = re.compile(r"[^\W\d_]+")
_URLISH: Final = re.compile(r"@|://|^www\.")


@dataclass(frozen=True, slots=True)
class SyllableStats:
    """Counts of the word classes in a text; ratios are over the counted words.

    ``foreign_words`` counts words holding a non-ASCII letter that are *not* Vietnamese syllables
    ("Toâi", "Viêòt", "école", "QĐ" in "QĐ-UBND"); ``marked`` are the ones that are.  Their proportion
    tells the repair layer whether a text is already clean.
    """

    words: int
    marked: int
    plain: int
    needs_marks: int
    letters: int
    foreign_words: int = 0

    @property
    def marked_ratio(self) -> float:
        return self.marked / self.words if self.words else 0.0

    @property
    def coverage(self) -> float:
        """Share of words that are Vietnamese syllables, with or without their marks."""
        return (self.marked + self.plain + self.needs_marks) / self.words if self.words else 0.0

    @property
    def needs_marks_ratio(self) -> float:
        return self.needs_marks / self.words if self.words else 0.0


@lru_cache(maxsize=1024)
def syllable_stats(text: str) -> SyllableStats:
    """Classify every word of ``text`` (NFC expected).

    Fast path: whitespace tokens stripped of edge punctuation are looked up directly (most Vietnamese
    words hit).  Misses are split into letter runs; URLs and e-mail addresses are skipped whole, and
    single ASCII letters ("P." "Q." in addresses) count as letters, not words, so abbreviations do not
    push Vietnamese text towards "other".  Cached: the pipeline asks about the same text twice
    (repair, then language), and a clean text comes back from repair as the very same string.
    """
    get = _CLASS_LETTER.get
    tokens = lowered(text).tokens
    # One letter per token, its class ("?" for a miss): the counts are then ``str.count``, in C.
    classes = "".join(map(get, tokens, repeat("?")))
    letters = sum(map(len, tokens))
    # Only the misses can have edge punctuation to strip ("đêm," "(số"): ``str.find`` finds them without a
    # pass over every token.  Those still missing are kept for the letter-run pass below.
    misses: list[str] = []
    found: list[str] = []  # classes of the misses that matched once stripped
    index = classes.find("?")
    while index >= 0:
        token = tokens[index].strip(_EDGE)
        cls = get(token)
        if cls is None:
            misses.append(token)
            letters -= len(tokens[index])  # counted by the letter-run pass, if any
        else:
            found.append(cls)
            letters -= len(tokens[index]) - len(token)  # edge characters are not letters
        index = classes.find("?", index + 1)
    if found:
        classes += "".join(found)
    marked = classes.count("m")
    plain = classes.count("p")
    needs = classes.count("n")
    words = marked + plain + needs
    foreign = 0
    get_class = SYLLABLE_CLASS.get
    for token in misses:
        if not token or token.isdecimal():  # numbers: no letters, not words
            continue
        if token.isalpha():  # one letter run, no URL (the usual miss: a foreign word)
            runs: Iterable[str] = (token,)
        elif _URLISH.search(token):
            continue
        else:
            runs = _LETTER_RUN.findall(token)
        for run in runs:
            letters += len(run)
            run_class = get_class(run)
            if run_class is None:
                if not run.isascii():
                    foreign += 1
                    words += 1
                elif len(run) > 1:
                    words += 1
                continue
            words += 1
            if run_class == MARKED:
                marked += 1
            elif run_class == PLAIN:
                plain += 1
            else:
                needs += 1
    return SyllableStats(words, marked, plain, needs, letters, foreign)
