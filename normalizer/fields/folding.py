"""Accent folding that keeps every offset: one character in, one character out.

Extractors match keywords on the folded text ("tối qua" and "toi qua" alike) and then cut the
citizen's own text at the same positions, so the folding must never change a string's length.
"""

from __future__ import annotations

import unicodedata


def _build_fold_table() -> dict[int, int]:
    table: dict[int, int] = {ord(c): ord(c.lower()) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    for cp in range(0xC0, 0x1F00):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base.isascii() and base.isalpha():
            table[cp] = ord(base.lower())
    table[ord("đ")] = table[ord("Đ")] = ord("d")
    return table


FOLD = _build_fold_table()


def fold(text: str) -> str:
    """Lower case, diacritics stripped, *same length* as ``text`` so offsets map back to it."""
    return text.lower() if text.isascii() else text.translate(FOLD)
