"""A text in lower case and its whitespace tokens: where several analyses of the same content start."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple


class Lowered(NamedTuple):
    text: str  # the text, lower-cased
    tokens: tuple[str, ...]  # its whitespace-separated tokens


@lru_cache(maxsize=64)
def lowered(text: str) -> Lowered:
    """``text.lower()`` and its ``split()``, cached.

    The encoding check, the language decision and the classifier all start by splitting the same
    content (the very same string when it needed no repair), and that is a good part of their work.
    """
    low = text.lower()
    return Lowered(low, tuple(low.split()))


@lru_cache(maxsize=64)
def is_nfc(text: str) -> bool:
    """``unicodedata.is_normalized("NFC", text)``, cached.

    The repair, the language decision and the classifier each make sure the content is NFC before
    they read it, and each check scans the whole text; the string's hash is computed (and kept) anyway.
    """
    return unicodedata.is_normalized("NFC", text)
