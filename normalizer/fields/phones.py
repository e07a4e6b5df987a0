"""Vietnamese phone numbers: normalize one field, or find numbers in free text.

Built on ``phonenumbers`` (region VN) with the Vietnamese specifics it lacks: pre-2018 eleven-digit
mobile prefixes (0168…) are converted to today's ten-digit ones, and the emergency / hotline short
numbers (1022, 111–116) are recognised.  Nothing here raises on odd text: an unusable number comes
back with ``valid=False`` and the text kept, so a rule can ask the citizen again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType

from normalizer.fields.folding import FOLD as _FOLD

PhoneKind = Literal["mobile", "landline", "toll_free", "premium_rate", "short", "unknown"]


@dataclass(frozen=True, slots=True)
class PhoneResult:
    """One phone number as the citizen wrote it and as E.164 (``None`` when it cannot be formed)."""

    text: str
    e164: str | None
    valid: bool
    kind: PhoneKind
    converted_from_old_prefix: bool = False


# 2018 mobile renumbering (Ministry of Information and Communications): 11-digit 01xx → 10-digit 0xx.
OLD_MOBILE_PREFIXES: dict[str, str] = {
    **{f"016{d}": f"03{d}" for d in "23456789"},
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0186": "056",
    "0188": "058",
    "0199": "059",
}

# Emergency and public-service short numbers: not in phonenumbers' metadata, never E.164.
SHORT_NUMBERS = frozenset({"1022", "111", "112", "113", "114", "115", "116"})

_TYPE_TO_KIND: dict[int, PhoneKind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
}

_SEPARATORS = re.compile(r"[\s.\-()/]+")
_MAX_FIELD = 64  # longer "phone fields" are not phone numbers; bounded work on hostile input


def _digits_form(text: str) -> tuple[str, str] | None:
    """``(prefix, digits)`` where prefix is "+" or "", or None when other characters remain."""
    stripped = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    stripped = stripped.removeprefix("tel:")
    prefix = ""
    if stripped.startswith("+"):
        prefix, stripped = "+", stripped[1:]
    if not stripped.isascii() or not stripped.isdigit():
        return None
    return prefix, stripped


def _national_old_form(prefix: str, digits: str) -> str | None:
    """The national (0…) form when the number is written in an international VN form, else as is."""
    if prefix == "+":
        return "0" + digits[2:] if digits.startswith("84") else None
    if digits.startswith("0084"):
        return "0" + digits[4:]
    if digits.startswith("84") and len(digits) in (11, 12):
        return "0" + digits[2:]
    return digits


def _convert_old_mobile(national: str) -> str | None:
    """Today's number for a pre-2018 eleven-digit mobile, or None when it is not one."""
    if len(national) == 11 and national[:4] in OLD_MOBILE_PREFIXES:
        return OLD_MOBILE_PREFIXES[national[:4]] + national[4:]
    return None


# Plain Vietnamese numbers: "0" or "+84" and a national significant number of 9 digits (mobiles) or 10
# (landlines) starting with 2-9.  For those, what ``phonenumbers`` says depends only on the length and the
# first three digits (the VN metadata's patterns: mobile 3x/5x/7x/8x/9x, voip 672, landline 2xx, and the
# general pattern on the first digit), and the E.164 form is "+84" and the digits.  So the library is asked
# once per (length, first three digits) and its answer reused; tests/normalizer/test_phones.py checks it
# on every such prefix against the library.  Anything else goes to the library every time.
_PLAIN_FIRST = frozenset("23456789")
_PLAIN: dict[tuple[int, str], tuple[bool, bool, PhoneKind]] = {}  # -> (E.164 formed, valid, kind)


def _plain_national(candidate: str) -> str | None:
    """The national significant number of a plain Vietnamese number (see ``_PLAIN``), else None."""
    if candidate.startswith("0"):
        national = candidate[1:]
    elif candidate.startswith("+84"):
        national = candidate[3:]
    else:
        return None
    if len(national) in (9, 10) and national[:1] in _PLAIN_FIRST and national.isascii() and national.isdigit():
        return national
    return None


def _parse(candidate: str) -> tuple[str | None, bool, PhoneKind]:
    national = _plain_national(candidate)
    if national is None:
        return _parse_with_library(candidate)
    key = (len(national), national[:3])
    known = _PLAIN.get(key)
    if known is None:
        e164, valid, kind = _parse_with_library(candidate)
        if e164 is not None and e164 != "+84" + national:  # not the shape this shortcut assumes: no shortcut
            return e164, valid, kind
        _PLAIN[key] = (e164 is not None, valid, kind)
        return e164, valid, kind
    formed, valid, kind = known
    return ("+84" + national if formed else None), valid, kind


def _parse_with_library(candidate: str) -> tuple[str | None, bool, PhoneKind]:
    try:
        number = phonenumbers.parse(candidate, "VN")
    except phonenumbers.NumberParseException:
        return None, False, "unknown"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # A number is valid exactly when its type is known (is_valid_number computes the type too): one
    # look at the metadata instead of two.
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.UNKNOWN:
        possible = phonenumbers.is_possible_number(number)
        return (e164 if possible else None), False, "unknown"
    return e164, True, _TYPE_TO_KIND.get(number_type, "unknown")


def normalize_phone(text: str) -> PhoneResult:
    """Normalize one phone field ("0912.345.678", "+84 91 234 5678", "01689 123 456", "1022")."""
    if len(text) > _MAX_FIELD:
        return PhoneResult(text, None, False, "unknown")
    form = _digits_form(text.strip())
    if form is None:
        return PhoneResult(text, None, False, "unknown")
    prefix, digits = form
    if not prefix and digits in SHORT_NUMBERS:
        return PhoneResult(text, None, True, "short")
    national = _national_old_form(prefix, digits)
    if national is not None:
        converted = _convert_old_mobile(national)
        if converted is not None:
            e164, valid, kind = _parse(converted)
            if valid:
                return PhoneResult(text, e164, True, kind, converted_from_old_prefix=True)
    e164, valid, kind = _parse(prefix + digits)
    return PhoneResult(text, e164, valid, kind)


# --- free text ---------------------------------------------------------------------------------------


# Things made of digits that are not phone numbers; masked out before looking for numbers.
_NOT_PHONES = re.compile(
    r"""
    (?=\d|(?<![a-z])[bcdhimst])   # cheap guard: a digit, or a word starting like one of the keywords
    (?:(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?)?            # ISO date / datetime
    | (?<!\d)\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?!\d)                   # 21/9/2022, 21-09-22
    | (?<![\d.,])\d{1,4}(?:/\d{1,4})+(?![\d.,]?\d)                           # 12/3, 18/2022/QĐ, 12/3/4
    | (?<!\d)\d{1,2}\s?[:h]\s?\d{2}(?!\d)                                     # 14h30, 14:30
    | (?<![\d.,])[1-9]\d{0,2}(?:[.,]\d{3})+(?:[.,]\d+)?(?![\d.,]?\d)          # 1.900.000, 2,500,000
    | (?<![\d.,])\d+(?:[.,]\d+)?\s?(?:d|dong|vnd|k|nghin|ngan|trieu|tr|ty|usd)\b   # 500000đ, 2 triệu
    | (?:cccd|cmnd|cmt|cmtnd|can\ cuoc|dinh\ danh|ho\ chieu|ma\ so\ thue|mst|stk|so\ tai\ khoan|tai\ khoan
        |ma\ ho\ so|ma\ so|bien\ so|bks|so\ hieu|ma\ don|ma\ phan\ anh|ma\ giao\ dich|so\ seri|serial|id)
      \b[^\S\n]*(?:so|la|:|\#|\.|-)?[^\S\n]*(?:so|la|:|\#)?[^\S\n]*[\w./\-]*\d[\w./\-]*)  # CCCD số 0010…
    """,
    re.VERBOSE,
)
# A run of digit groups (with + and brackets); the groups are split into numbers afterwards.
_RUN = re.compile(r"(?=[+(\d])(?<![\d+#])(?<!\d[.,])\+?\(?\+?\d+\)?(?:(?:[ \t]?[.\-][ \t]?|[ \t]{1,2})\(?\d+\)?)*")
_PHONE_WORDS = re.compile(
    r"(?:sdt|so dien thoai|dien thoai|dtdd|\bdt|phone|tel|mobile|hotline|lien he|goi|zalo|di dong|may ban"
    r"|so may|nhan tin|sms|viber)\W{0,3}(?:\w+\W{1,3}){0,2}$"
)
_SHORT_IN_TEXT = re.compile(
    r"(?=[cdghqt])(?:goi|goi dien|tong dai|duong day nong|hotline|cong|so khan cap|quay so|quay)"
    r"[^\S\n]*(?:den|toi|so|:)?[^\S\n]*(1022|11[1-6])(?![\w/.,]?\d)"
)
_MAX_TEXT = 100_000


def _mask(folded: str) -> str:
    return _NOT_PHONES.sub(lambda m: "#" * len(m.group()), folded)


def _plausible(prefix: str, digits: str, loose: bool) -> bool:
    """A digit string shaped like a Vietnamese (or +international) phone number, valid or not.

    ``loose`` (a phone word precedes) also admits numbers a digit short or long, to flag them.
    """
    if loose and (prefix == "+" or digits.startswith(("0", "84"))):
        return 8 <= len(digits) <= 14
    if prefix == "+":
        return 7 <= len(digits) <= 15
    if digits.startswith("0084"):
        return len(digits) in (13, 14)
    if digits.startswith("84"):
        return len(digits) in (11, 12)
    if digits.startswith(("1800", "1900")):
        return len(digits) in (8, 10)
    return digits.startswith("0") and digits[1:2] != "0" and len(digits) in (10, 11)


def find_phones(text: str) -> tuple[PhoneResult, ...]:
    """Phone numbers in free text, in order of appearance, duplicates (same E.164) dropped.

    Dates, times, money, slash-numbers (house numbers, document numbers) and numbers after an ID
    keyword (CCCD, STK, mã số thuế…) are masked first.  A phone-shaped but invalid number is only
    returned (``valid=False``) when a phone word (SĐT, điện thoại, liên hệ, Zalo…) precedes it.
    Short numbers (1022, 113…) need a word such as "gọi", "tổng đài", "đường dây nóng" in front.
    """
    text = unicodedata.normalize("NFC", text[:_MAX_TEXT])
    folded = text.translate(_FOLD)
    masked = _mask(folded)
    found: list[tuple[int, PhoneResult]] = []
    for run in _RUN.finditer(masked):
        found.extend(_numbers_in_run(text, folded, run))
    for m in _SHORT_IN_TEXT.finditer(folded):
        found.append((m.start(1), PhoneResult(m.group(1), None, True, "short")))
    found.sort(key=lambda item: item[0])
    seen: set[str] = set()
    result: list[PhoneResult] = []
    for _, phone in found:
        key = phone.e164 or phone.text
        if key not in seen:
            seen.add(key)
            result.append(phone)
    return tuple(result)


def _numbers_in_run(text: str, folded: str, run: re.Match[str]) -> list[tuple[int, PhoneResult]]:
    """Split one run of digit groups into phone numbers, longest plausible prefix first."""
    groups = [(g.start() + run.start(), g.end() + run.start()) for g in re.finditer(r"\+?\d+", run.group())]
    out: list[tuple[int, PhoneResult]] = []
    loose = bool(groups) and _PHONE_WORDS.search(folded, max(0, groups[0][0] - 40), groups[0][0]) is not None
    i = 0
    while i < len(groups):
        chosen: tuple[int, str, PhoneResult] | None = None
        for j in range(min(len(groups), i + 6), i, -1):
            start, end = groups[i][0], groups[j - 1][1]
            digits = sum(b - a for a, b in groups[i:j]) - text.count("+", start, end)
            if digits > 15:
                continue
            if digits < 7:
                break
            raw = text[start:end]
            form = _digits_form(raw)
            if form is None or not _plausible(*form, loose=loose and i == 0):
                continue
            phone = normalize_phone(raw)
            if phone.valid:
                chosen = (j, raw, phone)
                break
            if loose and i == 0:
                chosen = (j, raw, phone)  # keeps the shortest invalid one, flagged for the citizen
        if chosen is None:
            i += 1
            continue
        j, raw, phone = chosen
        start, end = groups[i][0], groups[j - 1][1]
        if raw.count("(") < raw.count(")") and start > 0 and text[start - 1] == "(":
            raw = text[start - 1 : end]
            phone = PhoneResult(raw, phone.e164, phone.valid, phone.kind, phone.converted_from_old_prefix)
        out.append((start, phone))
        i = j
    return out
