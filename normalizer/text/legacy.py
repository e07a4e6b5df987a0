"""Hand-written tables for the pre-Unicode Vietnamese encodings that still reach the gateway.

* TCVN3 (ABC, ".VnTime" fonts): one byte per letter, lowercase toned letters only.  Bytes in
  0xA0–0xFF and the C0 slots follow glibc's ``TCVN5712-1`` (which adds capitals in slots ABC left
  empty); 0x80–0x9F stay Windows-1252 (quotes, dashes), as ABC fonts on Windows drew them.
* VNI-Windows: an ASCII base letter followed by a modifier byte ("Vieät" = "Việt"), so it is decoded
  on sequences.
* VISCII: every letter a single byte, six of them in the C0 control range (the same table as glibc).
* Windows-1258: Python's codec, plus decomposition on encode (tones as combining marks, as Windows
  writes them) and NFC on decode.

Encoders exist to build test fixtures and to reproduce what a legacy program would have written.
A *surface* is legacy bytes as they look once some program has read them as Windows-1252 (or
Latin-1): ``decode_surface`` maps such a string straight to the intended text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Final

TCVN3: Final = "tcvn3"
VNI: Final = "vni"
VISCII: Final = "viscii"
CP1258: Final = "windows-1258"
#: the legacy encodings we know, in the order candidates are preferred on a tie.
LEGACY_ENCODINGS: Final = (CP1258, TCVN3, VNI, VISCII)

_ALIASES: Final[Mapping[str, str]] = {
    "tcvn3": TCVN3, "tcvn": TCVN3, "tcvn-3": TCVN3, "tcvn5712": TCVN3, "tcvn5712-1": TCVN3,
    "tcvn-5712": TCVN3, "abc": TCVN3, "vn3": TCVN3,
    "vni": VNI, "vni-windows": VNI, "vniwin": VNI, "vni-win": VNI, "x-viet-vni": VNI,
    "viscii": VISCII, "csviscii": VISCII, "viscii1.1-1": VISCII,
    "windows-1258": CP1258, "cp1258": CP1258, "x-cp1258": CP1258,
}  # fmt: skip


def legacy_name(name: str | None) -> str | None:
    """Canonical name of a legacy Vietnamese encoding label, or None if it is not one."""
    if not name:
        return None
    return _ALIASES.get(name.strip().lower().replace("_", "-"))


# --- Windows-1252 surface -------------------------------------------------------------------------


def _sloppy_cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)  # 0x81 0x8D 0x8F 0x90 0x9D: undefined in cp1252, kept as Latin-1 does


_CP1252: Final = "".join(_sloppy_cp1252_char(b) for b in range(256))
#: surface character -> byte, for both the cp1252 and the Latin-1 reading of 0x80–0x9F.
_SURFACE_BYTE: Final[dict[str, int]] = {chr(b): b for b in range(256)}
_SURFACE_BYTE.update({ch: b for b, ch in enumerate(_CP1252)})


def cp1252_surface(data: bytes) -> str:
    """How ``data`` looks when read as Windows-1252 (undefined bytes kept as their Latin-1 characters)."""
    return "".join(_CP1252[b] for b in data)


def surface_bytes(text: str) -> bytes | None:
    """The bytes behind a cp1252/Latin-1 surface, or None when a character has no such byte."""
    try:
        return bytes(_SURFACE_BYTE[ch] for ch in text)
    except KeyError:
        return None


# --- single-byte tables (index = byte) --------------------------------------------------------------


def _table(high: str, low_overrides: Mapping[int, str], c1: str) -> str:
    table = [chr(b) for b in range(0x80)] + list(c1) + list(high)
    for byte, ch in low_overrides.items():
        table[byte] = ch
    assert len(table) == 256
    return "".join(table)


_TCVN3_HIGH: Final = (
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"  # A0–AF
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # B0–BF (B0–B4: combining tones)
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"  # C0–CF
    "éẹềểễếệìỉỄẾỒĩíịò"  # D0–DF
    "Ổỏõóọồổỗốộờởỡớợù"  # E0–EF
    "ỖủũúụừửữứựỳỷỹýỵỐ"  # F0–FF
)
_TCVN3_C0: Final = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ",
    0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
}  # fmt: skip
TCVN3_TABLE: Final = _table(_TCVN3_HIGH, _TCVN3_C0, _CP1252[0x80:0xA0])

_VISCII_C1_HIGH: Final = (
    "ẠẮẰẶẤẦẨẬẼẸẾỀỂỄỆỐ"  # 80–8F
    "ỒỔỖỘỢỚỜỞỊỎỌỈỦŨỤỲ"  # 90–9F
    "Õắằặấầẩậẽẹếềểễệố"  # A0–AF
    "ồổỗỠƠộờởịỰỨỪỬơớƯ"  # B0–BF
    "ÀÁÂÃẢĂẳẵÈÉÊẺÌÍĨỳ"  # C0–CF
    "ĐứÒÓÔạỷừửÙÚỹỵÝỡư"  # D0–DF
    "àáâãảăữẫèéêẻìíĩỉ"  # E0–EF
    "đựòóôõỏọụùúũủýợỮ"  # F0–FF
)
_VISCII_C0: Final = {0x02: "Ẳ", 0x05: "Ẵ", 0x06: "Ẫ", 0x14: "Ỷ", 0x19: "Ỹ", 0x1E: "Ỵ"}
VISCII_TABLE: Final = _table(_VISCII_C1_HIGH[0x20:], _VISCII_C0, _VISCII_C1_HIGH[:0x20])


def _cp1258_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1258")
    except UnicodeDecodeError:
        return chr(byte)


CP1258_TABLE: Final = "".join(_cp1258_char(b) for b in range(256))

_SINGLE_BYTE: Final[Mapping[str, str]] = {TCVN3: TCVN3_TABLE, VISCII: VISCII_TABLE, CP1258: CP1258_TABLE}


def _decode_table(data: bytes, table: str) -> str:
    return unicodedata.normalize("NFC", "".join(table[b] for b in data))


def decode_tcvn3(data: bytes) -> str:
    return _decode_table(data, TCVN3_TABLE)


def decode_viscii(data: bytes) -> str:
    return _decode_table(data, VISCII_TABLE)


def decode_cp1258(data: bytes) -> str:
    return _decode_table(data, CP1258_TABLE)


# Encoders.  TCVN3 has no code for capital toned letters: ABC users typed them with the lowercase
# code (and a capitals font for headings), so that is what the encoder writes.
def _reverse(table: str, skip: Callable[[int], bool] = lambda b: False) -> dict[str, int]:
    out: dict[str, int] = {}
    for byte, ch in enumerate(table):
        if not skip(byte) and ch not in out and not unicodedata.combining(ch):
            out[ch] = byte
    return out


# glibc's extra capitals (not ABC): decoded, never written.
_TCVN3_CAPITAL_SLOTS: Final = frozenset(
    b for b, ch in enumerate(TCVN3_TABLE) if b >= 0xA0 and ch.isupper() and not 0xA1 <= b <= 0xA7
)
_TCVN3_ENC: Final = _reverse(TCVN3_TABLE, lambda b: b in _TCVN3_CAPITAL_SLOTS or b in _TCVN3_C0)
_VISCII_ENC: Final = _reverse(VISCII_TABLE)


def _encode_single(text: str, enc: Mapping[str, int], errors: str, fallback: Callable[[str], bytes] | None) -> bytes:
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        byte = enc.get(ch)
        if byte is not None:
            out.append(byte)
            continue
        if fallback is not None:
            alt = fallback(ch)
            if alt:
                out += alt
                continue
        if errors == "replace":
            out.append(0x3F)
            continue
        raise UnicodeEncodeError("legacy", ch, 0, 1, f"{ch!r} has no code in this encoding")
    return bytes(out)


def _tcvn3_fallback(ch: str) -> bytes:
    low = ch.lower()
    return bytes([_TCVN3_ENC[low]]) if low != ch and low in _TCVN3_ENC else b""


def encode_tcvn3(text: str, errors: str = "strict") -> bytes:
    return _encode_single(text, _TCVN3_ENC, errors, _tcvn3_fallback)


def encode_viscii(text: str, errors: str = "strict") -> bytes:
    return _encode_single(text, _VISCII_ENC, errors, None)


_TONE_MARKS: Final = frozenset("\u0300\u0301\u0303\u0309\u0323")


def encode_cp1258(text: str, errors: str = "strict") -> bytes:
    """Precomposed where cp1258 has the letter, else base letter + combining tone (as Windows does)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONE_MARKS))
        tones = "".join(p for p in parts if p in _TONE_MARKS)
        try:
            out += (base + tones).encode("cp1258")
        except UnicodeEncodeError:
            if errors != "replace":
                raise
            out.append(0x3F)
    return bytes(out)


# --- VNI-Windows -------------------------------------------------------------------------------------

_VNI_TONES: Final = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_HAT_TONES: Final = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE_TONES: Final = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I: Final = {"\u0300": "ì", "\u0301": "í", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def _vni_lower_map() -> dict[str, str]:
    """Unicode lowercase letter -> VNI byte sequence (as a Latin-1 string)."""
    out: dict[str, str] = {"đ": "ñ", "ơ": "ô", "ư": "ö"}
    for tone, mod in _VNI_TONES.items():
        for base in "aeouy":
            out[unicodedata.normalize("NFC", base + tone)] = base + mod
        out[unicodedata.normalize("NFC", "ơ" + tone)] = "ô" + mod
        out[unicodedata.normalize("NFC", "ư" + tone)] = "ö" + mod
    for tone, mod in _VNI_HAT_TONES.items():
        for base in "aeo":
            out[unicodedata.normalize("NFC", base + "\u0302" + tone)] = base + mod
    for tone, mod in _VNI_BREVE_TONES.items():
        out[unicodedata.normalize("NFC", "a\u0306" + tone)] = "a" + mod
    for tone, mod in _VNI_I.items():
        out[unicodedata.normalize("NFC", "i" + tone)] = mod
    out["ỵ"] = "î"  # a single byte, like the toned i's
    return out


_VNI_ENC: Final[dict[str, str]] = {}
for _letter, _seq in _vni_lower_map().items():
    _VNI_ENC[_letter] = _seq
    _VNI_ENC[_letter.upper()] = _seq.upper()
_VNI_DEC: Final[dict[str, str]] = {seq: letter for letter, seq in _VNI_ENC.items()}
# Mixed case (capital base, lowercase modifier) happens in title-cased words: the base decides.
for _seq, _letter in list(_VNI_DEC.items()):
    if len(_seq) == 2:
        _VNI_DEC.setdefault(_seq[0] + _seq[1].swapcase(), _letter if _seq[0].isupper() else _letter.lower())
        _VNI_DEC.setdefault(_seq[0].swapcase() + _seq[1], _letter.swapcase())
_VNI_CODE_CHARS: Final = frozenset(ch for seq in _VNI_DEC for ch in seq if ord(ch) >= 0x80)
_VNI_RE: Final = re.compile("|".join(re.escape(k) for k in sorted(_VNI_DEC, key=len, reverse=True)))


def _vni_decode_latin1(raw: str) -> str:
    """Decode VNI where each character of ``raw`` stands for one byte (characters > 0xFF pass through)."""
    text = _VNI_RE.sub(lambda m: _VNI_DEC[m.group()], raw)
    return unicodedata.normalize("NFC", text.translate(_C1_TO_CP1252))


_C1_TO_CP1252: Final = {b: _CP1252[b] for b in range(0x80, 0xA0)}


def decode_vni(data: bytes) -> str:
    return _vni_decode_latin1(data.decode("latin-1"))


def encode_vni(text: str, errors: str = "strict") -> bytes:
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        seq = _VNI_ENC.get(ch)
        if seq is not None:
            out += seq.encode("latin-1")
        elif ord(ch) < 0x80:
            out.append(ord(ch))
        elif ch in _SURFACE_BYTE and ch == _CP1252[_SURFACE_BYTE[ch]] and ch not in _VNI_CODE_CHARS:
            out.append(_SURFACE_BYTE[ch])  # quotes, dashes, NBSP, symbols keep their cp1252 bytes
        elif errors == "replace":
            out.append(0x3F)
        else:
            raise UnicodeEncodeError("vni", ch, 0, 1, f"{ch!r} has no code in VNI")
    return bytes(out)


# --- dispatch -----------------------------------------------------------------------------------------

_DECODERS: Final[Mapping[str, Callable[[bytes], str]]] = {
    TCVN3: decode_tcvn3, VNI: decode_vni, VISCII: decode_viscii, CP1258: decode_cp1258,
}  # fmt: skip
_ENCODERS: Final[Mapping[str, Callable[[str, str], bytes]]] = {
    TCVN3: encode_tcvn3, VNI: encode_vni, VISCII: encode_viscii, CP1258: encode_cp1258,
}  # fmt: skip


def decode_legacy(data: bytes, encoding: str) -> str:
    """Decode ``data`` (never raises for a known encoding: every byte has a meaning); NFC result."""
    name = legacy_name(encoding)
    if name is None:
        raise LookupError(f"not a legacy Vietnamese encoding: {encoding!r}")
    return _DECODERS[name](data)


def encode_legacy(text: str, encoding: str, errors: str = "strict") -> bytes:
    """Encode ``text`` as a legacy program would; ``errors="replace"`` writes "?" for the unencodable."""
    name = legacy_name(encoding)
    if name is None:
        raise LookupError(f"not a legacy Vietnamese encoding: {encoding!r}")
    return _ENCODERS[name](text, errors)


# Surface decoding: translate tables keyed by both readings (cp1252 and Latin-1) of every byte.
def _surface_table(table: str) -> dict[int, str]:
    return {ord(ch): table[b] for ch, b in _SURFACE_BYTE.items()}


_SURFACE_TABLES: Final[Mapping[str, dict[int, str]]] = {
    name: _surface_table(table) for name, table in _SINGLE_BYTE.items()
}
_SURFACE_TO_LATIN1: Final[dict[int, str]] = {ord(ch): chr(b) for ch, b in _SURFACE_BYTE.items()}


def decode_surface(text: str, encoding: str) -> str:
    """Read ``text`` as the cp1252 surface of legacy bytes and decode them; NFC result.

    Characters with no cp1252/Latin-1 byte (already-Unicode letters, CJK…) pass through unchanged.
    """
    name = legacy_name(encoding)
    if name is None:
        raise LookupError(f"not a legacy Vietnamese encoding: {encoding!r}")
    if name == VNI:
        return _vni_decode_latin1(text.translate(_SURFACE_TO_LATIN1))
    return unicodedata.normalize("NFC", text.translate(_SURFACE_TABLES[name]))
