"""Is this Vietnamese, Vietnamese typed without diacritics, or another language?

The syllable rule decides (langdetect cannot tell "with" from "without" diacritics, and is unreliable
on short text); langdetect only *names* a language once the rule says the text is clearly not
Vietnamese.  Short answers are never judged: "có", a name, a ward — they are "undecided".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final, Literal

from normalizer.text.syllables import NEEDS_MARKS, PLAIN, SYLLABLE_CLASS, syllable_stats
from normalizer.text.tokens import is_nfc

Kind = Literal["vi", "vi_no_diacritics", "other", "undecided"]

MIN_LETTERS: Final = 10  # fewer letters than this: undecided
MIN_WORDS: Final = 4  # fewer Vietnamese-looking words than this (a name, "dạ vâng"): undecided
_VI_MARKED: Final = 0.35
_VI_COVERAGE: Final = 0.5
_PLAIN_COVERAGE: Final = 0.7
_FEW_MARKS: Final = 0.1


@dataclass(frozen=True, slots=True)
class LanguageDecision:
    """The verdict plus the measures behind it (for findings and for tuning).

    ``language`` is an ISO 639-1 code as langdetect spells it ("vi", "en", "fr", "zh-cn", "ko"…) or
    None when unknown.  ``marked_ratio`` and ``coverage`` are shares of the counted words; ``letters``
    counts the letters in them.
    """

    kind: Kind
    language: str | None
    marked_ratio: float
    coverage: float
    letters: int


# Scripts that name the language by themselves (langdetect has no Lao or Khmer profile).
_SCRIPTS: Final = (
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"), "ko"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\u0e80-\u0eff]"), "lo"),
    (re.compile(r"[\u1780-\u17ff]"), "km"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
)

_detector_ready = False


def _langdetect(text: str) -> str | None:
    """langdetect's best guess, deterministic (seeded), loaded on first use; None when it cannot say."""
    global _detector_ready
    try:
        from langdetect import DetectorFactory, detect
        from langdetect.lang_detect_exception import LangDetectException
    except ImportError:  # pragma: no cover - langdetect is a declared dependency
        return None
    if not _detector_ready:
        DetectorFactory.seed = 0
        _detector_ready = True
    try:
        return str(detect(text))
    except LangDetectException:
        return None


def _name_language(text: str) -> str | None:
    for pattern, code in _SCRIPTS:
        if pattern.search(text):
            return code
    return _langdetect(text)


def decide_language(text: str) -> LanguageDecision:
    """Decide the language of a citizen's text (NFC or not; repair mojibake first).  Never raises."""
    if not is_nfc(text):
        text = unicodedata.normalize("NFC", text)
    stats = syllable_stats(text)
    marked, coverage = stats.marked_ratio, stats.coverage

    def decision(kind: Kind, language: str | None) -> LanguageDecision:
        return LanguageDecision(kind, language, marked, coverage, stats.letters)

    if stats.letters < MIN_LETTERS or (stats.words < MIN_WORDS and coverage >= _VI_COVERAGE):
        return decision("undecided", None)  # "có", "dạ vâng", a name: never judged
    if marked >= _VI_MARKED and coverage >= _VI_COVERAGE:
        return decision("vi", "vi")
    if coverage >= _PLAIN_COVERAGE:
        # Vietnamese words.  Without diacritics only when marks are (nearly) absent and the words that
        # need them outnumber the marked ones; otherwise it is marked text with many plain syllables.
        if marked < _FEW_MARKS or stats.needs_marks_ratio > marked:
            return decision("vi_no_diacritics", "vi")
        return decision("vi", "vi")
    if coverage >= _VI_COVERAGE:
        return decision("undecided", None)  # half Vietnamese-looking: not clear enough to name
    language = _name_language(text)
    if language == "vi":
        return decision("undecided", None)  # the rule and the detector disagree: do not judge
    return decision("other", language)


_WORD: Final = re.compile(r"[^\W\d_]+")
_URLISH: Final = re.compile(r"@|://|^www\.|\.(com|net|org|gov|edu|info|io|vn)\b", re.IGNORECASE)


def words_without_marks(text: str, *, plain: bool = False) -> tuple[str, ...]:
    """The words written without the marks they must have ("truoc", "nguoi"), each once, in order.

    By default only words that are not Vietnamese as written (NEEDS_MARKS); with ``plain`` also those
    that may be right as written ("nha", "khong", "Tran"), for a text that is only partly marked.
    Acronyms ("UBND"), URLs and e-mail addresses are skipped ("…/duong-ngap").
    """
    wanted = (NEEDS_MARKS, PLAIN) if plain else (NEEDS_MARKS,)
    seen: dict[str, None] = {}
    for token in text.split():
        if _URLISH.search(token):
            continue
        for word in _WORD.findall(token):
            if SYLLABLE_CLASS.get(word.lower()) in wanted and not (len(word) > 1 and word.isupper()):
                seen.setdefault(word, None)
    return tuple(seen)


def typed_without_marks(text: str) -> tuple[str, ...] | None:
    """For a short field (a name, a place, a time): its Vietnamese words when it is written without marks.

    None when the field carries marks, or when its words are not mostly Vietnamese syllables ("John
    Smith", "21h 14/9/2024", "Block B2").  Words of one letter and acronyms are not counted.
    """
    if not text.isascii():
        return None
    runs = [w for w in _WORD.findall(text) if len(w) > 1]
    shouting = bool(runs) and all(w.isupper() for w in runs)
    words = [w for w in runs if shouting or not w.isupper()]
    vietnamese = tuple(w for w in words if SYLLABLE_CLASS.get(w.lower()) in (PLAIN, NEEDS_MARKS))
    if not words or len(vietnamese) * 10 < len(words) * 7:
        return None
    return vietnamese


_NAMES: Final[dict[str, tuple[str, str]]] = {
    "vi": ("tiếng Việt", "Vietnamese"),
    "en": ("tiếng Anh", "English"),
    "fr": ("tiếng Pháp", "French"),
    "de": ("tiếng Đức", "German"),
    "es": ("tiếng Tây Ban Nha", "Spanish"),
    "pt": ("tiếng Bồ Đào Nha", "Portuguese"),
    "it": ("tiếng Ý", "Italian"),
    "nl": ("tiếng Hà Lan", "Dutch"),
    "ru": ("tiếng Nga", "Russian"),
    "uk": ("tiếng Ukraina", "Ukrainian"),
    "pl": ("tiếng Ba Lan", "Polish"),
    "zh": ("tiếng Trung", "Chinese"),
    "zh-cn": ("tiếng Trung", "Chinese"),
    "zh-tw": ("tiếng Trung (phồn thể)", "Chinese (Traditional)"),
    "ja": ("tiếng Nhật", "Japanese"),
    "ko": ("tiếng Hàn", "Korean"),
    "th": ("tiếng Thái", "Thai"),
    "lo": ("tiếng Lào", "Lao"),
    "km": ("tiếng Khmer", "Khmer"),
    "id": ("tiếng Indonesia", "Indonesian"),
    "ms": ("tiếng Mã Lai", "Malay"),
    "tl": ("tiếng Philippines", "Filipino"),
    "hi": ("tiếng Hindi", "Hindi"),
    "ar": ("tiếng Ả Rập", "Arabic"),
    "tr": ("tiếng Thổ Nhĩ Kỳ", "Turkish"),
}


def _names(code: Any) -> tuple[str, str] | None:
    if not isinstance(code, str):
        return None
    key = code.strip().lower().replace("_", "-")
    return _NAMES.get(key) or _NAMES.get(key.split("-")[0])


def language_name_vi(code: str | None) -> str:
    """Vietnamese name of a language for messages ("tiếng Anh"); a generic phrase when unknown."""
    names = _names(code)
    if names:
        return names[0]
    return f"ngôn ngữ khác ({code})" if code else "ngôn ngữ không xác định"


def language_name_en(code: str | None) -> str:
    """English name of a language for messages ("English"); a generic phrase when unknown."""
    names = _names(code)
    if names:
        return names[1]
    return f"another language ({code})" if code else "an unidentified language"
