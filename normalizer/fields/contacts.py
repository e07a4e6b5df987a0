"""E-mail addresses and the submitter's name, from a field or from free Vietnamese text.

Names are where citizens write them: "Tôi tên là Nguyễn Văn An", "Họ và tên: Trần Thị Bình",
"Người phản ánh: …", or a signature under "Trân trọng,".  Extraction is best effort and returns
``None`` rather than a guess that is not shaped like a name.
"""

from __future__ import annotations

import re
import unicodedata

from normalizer.fields.folding import FOLD as _FOLD

_MAX_TEXT = 100_000

# --- e-mail ------------------------------------------------------------------------------------------

_LOCAL_CHAR = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
_LOCAL = rf"[{_LOCAL_CHAR}]+(?:\.[{_LOCAL_CHAR}]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_EMAIL_FULL = re.compile(rf"{_LOCAL}@{_DOMAIN}")
# Found from each "@" outwards, in bounded windows: no regex ever scans a long run of text.
_LOCAL_BEFORE_AT = re.compile(rf"(?<![{_LOCAL_CHAR}.\w]){_LOCAL}")
_LOCAL_PUNCT = frozenset("!#$%&'*+/=?^_`{|}~-.")
_DOMAIN_AFTER_AT = re.compile(rf"{_DOMAIN}(?![\w\-]|\.[A-Za-z0-9])")


def normalize_email(text: str) -> str | None:
    """The address with a lower-case domain (local part kept), or None when it is not one address."""
    candidate = unicodedata.normalize("NFKC", text[:400]).strip().strip("<>").strip()
    if candidate.lower().startswith("mailto:"):
        candidate = candidate[7:].strip()
    if len(candidate) > 254 or _EMAIL_FULL.fullmatch(candidate) is None:
        return None
    local, _, domain = candidate.rpartition("@")
    if len(local) > 64:
        return None
    return f"{local}@{domain.lower()}"


def find_emails(text: str) -> tuple[str, ...]:
    """Addresses in free text, normalized, in order, without duplicates."""
    text = unicodedata.normalize("NFKC", text[:_MAX_TEXT])
    found: list[str] = []
    for at in re.finditer("@", text):
        i = at.start()
        local = _local_before(text, i)
        domain = _DOMAIN_AFTER_AT.match(text, i + 1, i + 1 + 254)
        if local is None or domain is None:
            continue
        address = normalize_email(text[local.start() : domain.end()])
        if address is not None and address.lower() not in {a.lower() for a in found}:
            found.append(address)
    return tuple(found)


def _local_before(text: str, at: int) -> re.Match[str] | None:
    """The local part ending at the "@" at ``at`` (at most 64 characters, else None)."""
    start = at
    while start > 0 and at - start <= 64 and (text[start - 1].isalnum() or text[start - 1] in _LOCAL_PUNCT):
        start -= 1
    return _LOCAL_BEFORE_AT.fullmatch(text, start, at) if start < at else None


# --- names -------------------------------------------------------------------------------------------


_S = r"[^\S\n]"
# Labels after which the name follows (matched on accent-folded, lower-cased text).
_LABELED = re.compile(
    rf"(?:\b(?:ho{_S}+va{_S}+ten|ho{_S}+ten|ten{_S}+nguoi{_S}+(?:gui|phan{_S}+anh|kien{_S}+nghi)"
    rf"|nguoi{_S}+(?:phan{_S}+anh|kien{_S}+nghi|gui|viet{_S}+don|lam{_S}+don|lien{_S}+he|bao{_S}+tin|khieu{_S}+nai)"
    rf"|full{_S}*name|name|ten)(?:{_S}+(?:nguoi{_S}+)?(?:phan{_S}+anh|kien{_S}+nghi|gui))?{_S}*[:\-]{_S}*)"
)
_SELF_NAMED = re.compile(
    rf"\b(?:toi|minh|em|chau|con|to)\b{_S}+(?:ho{_S}+)?ten{_S}+(?:la{_S}+)?"
    rf"|\bten{_S}+(?:cua{_S}+)?(?:toi|minh|em|chau|con){_S}+la{_S}+"
)
# "Tôi là …" introduces anything ("tôi là người dân"): only a capitalised name counts.
_SELF_IS = re.compile(rf"\b(?:toi|minh|em|chau|con)\b{_S}+la{_S}+")
_SIGN_OFF = re.compile(
    r"(?:^|\n)[^\S\n]*(?:tran\s+trong|tran\s+trong\s+cam\s+on|kinh\s+thu|xin\s+cam\s+on|xin\s+chan\s+thanh\s+cam\s+on"
    r"|cam\s+on|than\s+ai|best\s+regards|regards|nguoi\s+viet|ky\s+ten)[^\n]{0,20}\n+"
)
_TITLES = frozenset({"ong", "ba", "anh", "chi", "co", "chu", "bac", "em", "chau", "mr", "mrs", "ms"})
# Words that end a name: what typically follows it ("…, trú tại", "sinh năm 1980", "SĐT").  The
# marked forms are exact; without diacritics only words that are never name syllables are used.
_STOP_MARKED_WORDS = (
    "trú sinh số địa chỉ ở tại hiện đang là và cùng sđt đt điện thoại email cccd cmnd năm quê xin gửi "
    "tôi mình có nhà thường phường xã quận huyện tỉnh phố về với"
)
_STOP_ASCII_WORDS = "tru sinh so dia chi o la va sdt dt dien email cccd cmnd xin nha"
_STOP_MARKED = frozenset(_STOP_MARKED_WORDS.split())
_STOP_ASCII = frozenset(_STOP_ASCII_WORDS.split())
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_MAX_WORDS = 6


def find_name(text: str) -> str | None:
    """The submitter's name, normalized (see ``normalize_name``), or None when none is stated."""
    text = unicodedata.normalize("NFC", text[:_MAX_TEXT])
    folded = text.translate(_FOLD)
    for m in _LABELED.finditer(folded):
        name = _name_at(text, folded, m.end(), require_capitals=False)
        if name:
            return name
    for m in _SELF_NAMED.finditer(folded):
        name = _name_at(text, folded, m.end(), require_capitals=not _all_lower(text))
        if name:
            return name
    for m in _SELF_IS.finditer(folded):
        name = _name_at(text, folded, m.end(), require_capitals=True)
        if name:
            return name
    for m in _SIGN_OFF.finditer(folded):
        name = _name_at(text, folded, m.end(), require_capitals=True, whole_line=True)
        if name:
            return name
    return None


def _all_lower(text: str) -> bool:
    """Chat typed without capitals: then a capital letter cannot mark a name."""
    return not any(ch.isupper() for ch in text)


def _name_at(text: str, folded: str, pos: int, *, require_capitals: bool, whole_line: bool = False) -> str | None:
    line_end = text.find("\n", pos)
    line = text[pos : line_end if line_end >= 0 else len(text)]
    words: list[str] = []
    offset = 0
    for m in re.finditer(r"\S+", line):
        if m.start() - offset > 3 and words:
            break  # a wide gap (table layout) ends the name
        offset = m.end()
        token = m.group()
        core = token.strip("\"'“”‘’()[],.;:!?")
        word = _NAME_WORD.fullmatch(core)
        key = core.lower().translate(_FOLD)
        if word is None:
            break
        if not words and key in _TITLES and len(line.split()) > 1:
            continue
        low = core.lower()
        if low in _STOP_MARKED or (low.isascii() and low in _STOP_ASCII):
            break
        if require_capitals and not core[:1].isupper():
            break
        words.append(core)
        if token != core and token[len(token) - 1] in ',.;:!?)("”':
            break
        if len(words) > _MAX_WORDS:
            return None
    if not words:
        return None
    if whole_line and (len(words) < 2 or len(" ".join(words)) < len(line.strip().rstrip(".")) - 1):
        return None
    if any(len(w) > 12 for w in words):
        return None
    return normalize_name(" ".join(words))


def normalize_name(text: str) -> str:
    """Trimmed, single-spaced, each word capitalised ("nguyễn  văn AN" → "Nguyễn Văn An").

    Works on NFC so a capital never loses its marks; parts after an apostrophe or hyphen are
    capitalised too, as in ethnic-minority names ("H'Hen Niê", "Y-Ben").
    """
    words = unicodedata.normalize("NFC", text).split()
    return " ".join(_capitalize(word) for word in words)


_LETTERS = re.compile(r"[^\W\d_]+")


def _capitalize(word: str) -> str:
    if word.isalpha():  # most words: one run of letters, the whole word (no regex, no callback)
        return word[:1].upper() + word[1:].lower()
    return _LETTERS.sub(lambda m: m.group()[:1].upper() + m.group()[1:].lower(), word)
