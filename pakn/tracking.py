"""Tracking codes a citizen can read over the phone: ``PAKN-7K2M-Q9XM``.

Crockford's base32 alphabet (no I, L, O, U), seven random symbols (35 bits) and one Luhn check symbol, so a
mistyped code is caught before it is looked up.  Lookups forgive case, spaces, missing hyphens and the
letters people confuse with digits (O→0, I/L→1).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
PREFIX = "PAKN"
# A code as people write it in a text: any case, the hyphens or spaces optional.
WRITTEN = re.compile(r"PAKN[-\s]?[0-9A-Za-z]{4}[-\s]?[0-9A-Za-z]{4}", re.IGNORECASE)


def _check_symbol(body: str) -> str:
    """Luhn mod 32: catches every single mistyped symbol and most swapped neighbours."""
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 3 - factor
    return ALPHABET[(32 - total % 32) % 32]


def new_code() -> str:
    value = int.from_bytes(secrets.token_bytes(5), "big") >> 5  # 35 random bits: seven symbols
    body = "".join(ALPHABET[(value >> shift) & 31] for shift in range(30, -1, -5))
    full = body + _check_symbol(body)
    return f"{PREFIX}-{full[:4]}-{full[4:]}"


def parse(text: str) -> str | None:
    """The canonical code for what a person typed or said, or None when it cannot be one of ours."""
    cleaned = "".join(text.split()).upper().replace("-", "")
    if cleaned.startswith(PREFIX):
        cleaned = cleaned[len(PREFIX) :]
    cleaned = cleaned.translate(_CONFUSABLE)
    if len(cleaned) != 8 or any(c not in ALPHABET for c in cleaned):
        return None
    if _check_symbol(cleaned[:7]) != cleaned[7]:
        return None
    return f"{PREFIX}-{cleaned[:4]}-{cleaned[4:]}"


def written_codes(text: str) -> tuple[str, ...]:
    """The valid codes written in a text, canonical, in order, each once."""
    found = (parse(m.group(0)) for m in WRITTEN.finditer(text))
    return tuple(dict.fromkeys(code for code in found if code))
