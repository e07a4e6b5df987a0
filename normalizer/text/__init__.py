"""Text layer of the normalizer: charset decoding, mojibake/legacy repair, language decision."""

from __future__ import annotations

from normalizer.text.encoding import DecodedText, RepairedText, decode_bytes, repair_text, score_text
from normalizer.text.language import (
    LanguageDecision,
    decide_language,
    language_name_en,
    language_name_vi,
    typed_without_marks,
    words_without_marks,
)
from normalizer.text.legacy import LEGACY_ENCODINGS, decode_legacy, encode_legacy
from normalizer.text.syllables import SyllableStats, strip_marks, syllable_stats

__all__ = [
    "LEGACY_ENCODINGS",
    "DecodedText",
    "LanguageDecision",
    "RepairedText",
    "SyllableStats",
    "decide_language",
    "decode_bytes",
    "decode_legacy",
    "encode_legacy",
    "language_name_en",
    "language_name_vi",
    "repair_text",
    "score_text",
    "strip_marks",
    "syllable_stats",
    "typed_without_marks",
    "words_without_marks",
]
