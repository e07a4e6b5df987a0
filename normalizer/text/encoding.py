"""Bytes of unknown charset -> clean NFC text; strings holding mojibake or legacy surfaces -> repaired.

Generic detectors fail on Vietnamese legacy encodings (they never propose TCVN3/VNI/VISCII), so we
trial-decode and keep the candidate whose words are most often valid Vietnamese syllables.  A repair
of a *string* is accepted only on a clear gain, and clean text (Vietnamese or any other language)
must come back unchanged: the burden of proof is on the repair.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from normalizer.text import legacy
from normalizer.text.syllables import MARKED, NEEDS_MARKS, PLAIN, SYLLABLE_CLASS, syllable_stats
from normalizer.text.tokens import is_nfc

UTF8: Final = "utf-8"
UTF8_SIG: Final = "utf-8-sig"
CP1252: Final = "windows-1252"

#: method names reported by ``repair_text`` for each legacy encoding.
_METHOD: Final = {legacy.CP1258: "cp1258", legacy.TCVN3: "tcvn3", legacy.VNI: "vni", legacy.VISCII: "viscii"}
_MIN_GAIN: Final = 0.15  # a legacy reading must beat the text as it is by this much (share of valid words)
_MIN_COVERAGE: Final = 0.5  # ... and look like Vietnamese afterwards
_MAX_STEPS: Final = 6


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text decoded from bytes.

    ``encoding`` is the decoder actually used ("utf-8", "utf-8-sig", "windows-1258", "tcvn3", "vni",
    "viscii", "windows-1252", or a declared charset's Python name).  ``repaired`` is True when the
    result is not simply those bytes decoded as declared: a declared charset was overruled, or the
    decoded text still needed a mojibake/legacy repair.
    """

    text: str
    encoding: str
    repaired: bool


@dataclass(frozen=True, slots=True)
class RepairedText:
    """A string after repair.  ``method`` names what was done ("nfc", "mojibake", "tcvn3", "vni",
    "viscii", "cp1258", or several joined by "+"), None when nothing was; ``changed`` is
    ``text != original``."""

    text: str
    method: str | None
    changed: bool


# --- scoring -----------------------------------------------------------------------------------------

# Tokens are split on ASCII whitespace only: legacy codes are never ASCII whitespace, but some are
# Unicode whitespace (VISCII 0x1E "Ỵ", NBSP as VISCII "Õ"), which must stay inside their word.
_TOKEN_RE: Final = re.compile(r"[^ \t\n\r\f\v]+")
_EDGE: Final = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum()) + "“”‘’…–—"
_NEUTRAL_RE: Final = re.compile(r"\d|@|://|^www\.")


@dataclass(frozen=True, slots=True)
class _Score:
    words: int  # tokens that were scored
    valid: float  # valid syllables (needs-marks count half)
    coverage: int  # valid or needs-marks

    @property
    def share(self) -> float:
        return self.valid / self.words if self.words else 0.0


@lru_cache(maxsize=1 << 16)
def _token_value(token: str) -> tuple[float, bool] | None:
    """(value, is-Vietnamese) of one whitespace token, or None when it is not scored (numbers, URLs)."""
    word = token.strip(_EDGE)
    if not word or _NEUTRAL_RE.search(word) or (len(word) == 1 and word.isascii()):
        return None
    if not word.isalpha():
        return 0.0, False  # letters glued to symbols: the look of a wrong decoding
    cls = SYLLABLE_CLASS.get(word.lower())
    if cls in (MARKED, PLAIN):
        return 1.0, True
    if cls == NEEDS_MARKS:
        return 0.5, True
    return 0.0, False


def _score_tokens(tokens: list[str]) -> _Score:
    words = 0
    valid = 0.0
    coverage = 0
    for token in tokens:
        value = _token_value(token)
        if value is None:
            continue
        words += 1
        valid += value[0]
        coverage += value[1]
    return _Score(words, valid, coverage)


def score_text(text: str) -> float:
    """Share of the words of ``text`` that are valid Vietnamese syllables (0..1); for choosing decodings."""
    return _score_tokens(_TOKEN_RE.findall(text)).share


# --- clean-text fast path ----------------------------------------------------------------------------

# Characters that never occur in clean Vietnamese text but fill mojibake and legacy surfaces: C1
# controls, cp1252 specials, Latin-1 symbols and non-Vietnamese letters, Latin Extended-A except ă đ ĩ ũ,
# stray combining marks after NFC, and NBSP right after Ã/Â (UTF-8 "à"/"Ġ"-style mojibake).  The NBSP
# pair is a separate pattern: as one alternation the regex can no longer skip ahead by the character
# set, and a whole content took three times as long to scan; the pair is only looked for after a
# plain substring test finds an NBSP at all.
_SUSPECT_RE: Final = re.compile(
    "[\u0080-\u009f€‚ƒ„†‡ˆ‰Š‹ŒŽ˜™š›œžŸ\u00a1-\u00af\u00b1-\u00bf"
    "ÄÅÆÇËÎÏÐÑÖ×ØÛÜÞßäåæçëîïðñö÷øûüþÿ"
    "\u0100-\u0101\u0104-\u010f\u0112-\u0127\u012a-\u0167\u016a-\u017f\u0300-\u036f]"
)
_SUSPECT_NBSP_RE: Final = re.compile("[ÃÂ]\u00a0")
_MAX_FOREIGN_SHARE: Final = 0.1


def _looks_clean(text: str) -> bool:
    """True when no character is suspicious and (nearly) every word with a non-ASCII letter is a
    Vietnamese syllable.  The word check catches VNI "Toâi" and cp1258 "Viêòt", made of valid
    letters; "nearly" lets acronyms such as "QĐ-UBND" or a foreign name through without a retry."""
    if _SUSPECT_RE.search(text) or ("\u00a0" in text and _SUSPECT_NBSP_RE.search(text)):
        return False
    stats = syllable_stats(text)
    return stats.foreign_words <= _MAX_FOREIGN_SHARE * (stats.foreign_words + stats.marked)


# --- repair ------------------------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return text if is_nfc(text) else unicodedata.normalize("NFC", text)


def _ftfy_fix(text: str) -> str | None:
    """ftfy's encoding fix (NFC), or None when it changes nothing."""
    try:
        import ftfy

        fixed = _nfc(ftfy.fix_encoding(text))
    except Exception:  # ftfy is a heuristic over arbitrary input; a failure just means "no fix"
        return None
    return None if fixed == text else fixed


def _legacy_gain(tokens: list[str], before: _Score, candidate: str) -> _Score | None:
    """The candidate's score when it is a clear improvement over ``tokens``, else None."""
    cand_tokens = _TOKEN_RE.findall(candidate)
    after = _score_tokens(cand_tokens)
    if after.words == 0 or after.share - before.share < _MIN_GAIN:
        return None
    if after.coverage / after.words < _MIN_COVERAGE:
        return None
    if len(cand_tokens) == len(tokens):
        # Most of the words the decoding touched must have become Vietnamese, not just some of them.
        changed = [(a, b) for a, b in zip(tokens, cand_tokens, strict=True) if a != b]
        gained = 0.0
        for old, new in changed:
            old_value = _token_value(old)
            new_value = _token_value(new)
            gained += (new_value[0] if new_value else 0.0) - (old_value[0] if old_value else 0.0)
        if gained < max(1.0, 0.5 * len(changed)):
            return None
    return after


# UTF-8 read as cp1252/Latin-1 always shows a lead byte (Â–ô) followed by a continuation byte
# (0x80–0xBF as cp1252 or Latin-1 sees it); without one, ftfy has nothing to fix and is skipped.
_MOJIBAKE_RE: Final = re.compile("[\u00c2-\u00f4][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def _repair_step(text: str) -> tuple[str, str] | None:
    """One repair: the best legacy reading with a clear gain, unless ftfy's fix scores at least as well.

    Both are tried because each can mis-fire on the other's input: ftfy reads VISCII "Ð°" (Đồ) as the
    UTF-8 of Cyrillic "а", and a legacy table can turn mojibake into a few accidental syllables.
    """
    tokens = _TOKEN_RE.findall(text)
    before = _score_tokens(tokens)
    fixed = _ftfy_fix(text) if _MOJIBAKE_RE.search(text) else None
    if fixed is not None and _looks_clean(fixed):
        return fixed, "mojibake"
    best: tuple[float, str, str] | None = None
    for name in legacy.LEGACY_ENCODINGS:
        candidate = legacy.decode_surface(text, name)
        if candidate == text:
            continue
        after = _legacy_gain(tokens, before, candidate)
        if after is not None and (best is None or after.share > best[0]):
            best = (after.share, candidate, _METHOD[name])
    if fixed is not None:
        fixed_share = _score_tokens(_TOKEN_RE.findall(fixed)).share
        if fixed_share >= before.share and (best is None or fixed_share >= best[0]):
            return fixed, "mojibake"
    return None if best is None else (best[1], best[2])


def _repair(text: str) -> RepairedText:
    if text.isascii():
        return RepairedText(text, None, False)
    current = _nfc(text)
    methods: list[str] = []
    for _ in range(_MAX_STEPS):
        if _looks_clean(current):
            break
        step = _repair_step(current)
        if step is None:
            break
        current, step_method = step
        methods.append(step_method)
    changed = current != text
    method = "+".join(methods) if methods else ("nfc" if changed else None)
    return RepairedText(current, method, changed)


def repair_text(text: str) -> RepairedText:
    """Repair mojibake (UTF-8 read as cp1252/Latin-1, also doubled) and legacy-encoding surfaces
    (TCVN3, VNI, VISCII, cp1258 read as cp1252); always NFC; never raises; idempotent.

    Clean text is returned as is (NFC aside); pure ASCII and clean Vietnamese take a fast path.
    """
    try:
        return _repair(text)
    except Exception:  # last resort for pathological input: never fail a submission on repair
        nfc = unicodedata.normalize("NFC", text)
        return RepairedText(nfc, "nfc" if nfc != text else None, nfc != text)


# --- bytes -------------------------------------------------------------------------------------------

_BOM: Final = codecs.BOM_UTF8
_CANDIDATES: Final = (*legacy.LEGACY_ENCODINGS, CP1252)


def _python_codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except (LookupError, TypeError, ValueError):
        return None


def _decode_with(data: bytes, encoding: str) -> str | None:
    if encoding in legacy.LEGACY_ENCODINGS:
        return legacy.decode_legacy(data, encoding)
    if encoding == CP1252:
        return legacy.cp1252_surface(data)
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


def _finish(text: str, encoding: str, overruled: bool) -> DecodedText:
    repaired = repair_text(text)
    return DecodedText(repaired.text, encoding, overruled or repaired.method not in (None, "nfc"))


def decode_bytes(data: bytes, declared: str | None = None) -> DecodedText:
    """Decode bytes of unknown (or doubtfully declared) charset to NFC text.

    Strict UTF-8 first (with or without BOM).  Otherwise a declared charset is used unless it reads
    badly (under half the words Vietnamese) while a legacy reading is clearly better; without one,
    cp1258, TCVN3, VNI, VISCII and cp1252 are all tried and the best-scoring Vietnamese reading wins
    (cp1252 when none looks Vietnamese).  Never raises.
    """
    data = bytes(data)
    if data.startswith(_BOM):
        try:
            return _finish(data[len(_BOM) :].decode(UTF8), UTF8_SIG, False)
        except UnicodeDecodeError:
            data = data[len(_BOM) :]
    try:
        return _finish(data.decode(UTF8), UTF8, False)
    except UnicodeDecodeError:
        pass

    scored: list[tuple[float, int, str, str]] = []  # (share, coverage-ok, encoding, text)
    for name in _CANDIDATES:
        text = _decode_with(data, name)
        if text is None:
            continue
        score = _score_tokens(_TOKEN_RE.findall(_nfc(text)))
        looks_vi = int(score.words > 0 and score.coverage / score.words >= _MIN_COVERAGE)
        scored.append((score.share, looks_vi, name, text))
    vietnamese = [s for s in scored if s[1]]
    best = max(vietnamese, key=lambda s: s[0]) if vietnamese else None  # max keeps the first on a tie

    declared_name = legacy.legacy_name(declared) or (_python_codec(declared) if declared else None)
    if declared_name == "cp1252":
        declared_name = CP1252
    if declared_name is not None and declared_name not in (UTF8, "utf-8-sig"):
        declared_text = _decode_with(data, declared_name)
        if declared_text is not None:
            declared_share = _score_tokens(_TOKEN_RE.findall(_nfc(declared_text))).share
            if best is None or declared_share >= 0.5 or best[0] - declared_share < _MIN_GAIN:
                return _finish(declared_text, declared_name, False)
            return _finish(best[3], best[2], True)
    if best is not None:
        return _finish(best[3], best[2], False)
    return _finish(legacy.cp1252_surface(data), CP1252, False)
