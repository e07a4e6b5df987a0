"""When two submissions say the same thing: keys to find candidates, and a similarity to decide.

``content_key`` catches the same text sent again or copied by several people (case, diacritics,
punctuation and spacing ignored).  ``similarity`` compares word 3-shingles (Jaccard), so a resend with
a word changed or a sentence added still counts as near-identical.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache


def _words(text: str) -> list[str]:
    # No offsets needed here, so everything happens in C: NFD then ASCII drops the marks, and a bytes
    # table turns every byte that is not a letter or digit into a space (as the pattern [a-z0-9]+ would).
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return plain.encode("ascii", "ignore").lower().translate(_SPACES).decode().split()


_SPACES = bytes(c if chr(c).isascii() and chr(c).isalnum() and not chr(c).isupper() else 32 for c in range(256))


@lru_cache(maxsize=1024)
def content_key(text: str) -> str | None:
    """A short digest of the content's words, or None when there are too few words to compare.

    Cached: the worker asks for the same content's key in the batch prefetch, the repeat rule and
    when it records the verdict.
    """
    words = _words(text)
    if len(words) < 5:
        return None
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest()


def shingles(text: str, size: int = 3) -> frozenset[str]:
    words = _words(text)
    if len(words) < size:
        return frozenset(words)
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of word 3-shingles, 0..1."""
    left, right = shingles(a), shingles(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def contact_keys(phone: str | None, email: str | None) -> tuple[str, ...]:
    """Who sent it, in comparable form: the E.164 phone and the lower-cased email."""
    return tuple(key for key in (phone, email.lower() if email else None) if key)
