"""Encoders that type Vietnamese the way people do with the keyboard off: VIQR, Telex, VNI.

The reverse of normalizer/text/typed.py, written independently (per letter, from NFD) so the corpus
it generates tests the converter rather than mirroring it.  Words without Vietnamese marks (English,
numbers, codes, URLs) are left exactly as they are.
"""

from __future__ import annotations

import re
import unicodedata

from normalizer.text.syllables import MARKED, classify

TONES = {"\u0301": 0, "\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0323": 4}  # sắc huyền hỏi ngã nặng
SHAPES = {"\u0302": "hat", "\u0306": "breve", "\u031b": "horn"}

VIQR_TONE = ("'", "`", "?", "~", ".")
VIQR_SHAPE = {"hat": "^", "breve": "(", "horn": "+"}
TELEX_TONE = ("s", "f", "r", "x", "j")
VNI_TONE = ("1", "2", "3", "4", "5")
VNI_SHAPE = {"hat": "6", "breve": "8", "horn": "7"}


def _letters(word: str) -> list[tuple[str, str | None, int | None]]:
    """(base letter, shape, tone) for each letter of an NFC word; đ is base "đ"."""
    out: list[tuple[str, str | None, int | None]] = []
    for ch in word:
        if ch in "đĐ":
            out.append((ch, None, None))
            continue
        parts = unicodedata.normalize("NFD", ch)
        shape = next((SHAPES[c] for c in parts[1:] if c in SHAPES), None)
        tone = next((TONES[c] for c in parts[1:] if c in TONES), None)
        out.append((parts[0], shape, tone))
    return out


def _is_vietnamese(word: str) -> bool:
    """Only real syllables carrying marks are typed differently ("QĐ" in "QĐ-UBND" is a code)."""
    return not word.isascii() and classify(word) == MARKED


def _upper_word(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) > 1 and all(ch.isupper() for ch in letters)


def viqr_word(word: str) -> str:
    if not _is_vietnamese(word):
        return word
    out = []
    for base, shape, tone in _letters(word):
        if base in "đĐ":
            out.append("DD" if base == "Đ" and _upper_word(word) else ("Dd" if base == "Đ" else "dd"))
            continue
        out.append(base + (VIQR_SHAPE[shape] if shape else "") + (VIQR_TONE[tone] if tone is not None else ""))
    return "".join(out)


def telex_word(word: str) -> str:
    if not _is_vietnamese(word):
        return word
    upper = _upper_word(word)
    out, tone_key = [], ""
    for base, shape, tone in _letters(word):
        if base in "đĐ":
            out.append(base.replace("đ", "dd").replace("Đ", "DD" if upper else "Dd"))
            continue
        if shape == "hat":
            out.append(base + (base.upper() if upper else base.lower()))
        elif shape in ("breve", "horn"):
            out.append(base + ("W" if upper else "w"))
        else:
            out.append(base)
        if tone is not None:
            tone_key = TELEX_TONE[tone].upper() if upper else TELEX_TONE[tone]
    return "".join(out) + tone_key


def vni_word(word: str) -> str:
    if not _is_vietnamese(word):
        return word
    out, tone_key = [], ""
    for base, shape, tone in _letters(word):
        if base in "đĐ":
            out.append(("D" if base == "Đ" else "d") + "9")
            continue
        out.append(base + (VNI_SHAPE[shape] if shape else ""))
        if tone is not None:
            tone_key = VNI_TONE[tone]
    return "".join(out) + tone_key


_WORD = re.compile(r"[^\W\d_]+")


def encode(text: str, convention: str) -> str:
    """The whole text typed in ``convention`` ("viqr", "telex", "vni"); other words untouched."""
    encoder = {"viqr": viqr_word, "telex": telex_word, "vni": vni_word}[convention]
    return _WORD.sub(lambda m: encoder(m.group()), unicodedata.normalize("NFC", text))


def tone_place_free(text: str) -> str:
    """``text`` with each word's tone moved to its end: old and new placement ("hòa"/"hoà") compare equal."""
    words = []
    for word in re.split(r"(\s+)", unicodedata.normalize("NFD", text)):
        tones = "".join(ch for ch in word if ch in TONES)
        words.append("".join(ch for ch in word if ch not in TONES) + tones)
    return unicodedata.normalize("NFC", "".join(words))
