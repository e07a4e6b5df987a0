"""Unit tests of the text layer: legacy tables against glibc iconv, the note's examples, declared
charsets, language decisions on the cases the pipeline cares about."""

from __future__ import annotations

import codecs
import subprocess
import unicodedata

import pytest

from normalizer.text import (
    decide_language,
    decode_bytes,
    decode_legacy,
    encode_legacy,
    language_name_en,
    language_name_vi,
    repair_text,
    strip_marks,
)
from normalizer.text.legacy import TCVN3_TABLE, VISCII_TABLE, cp1252_surface, decode_surface
from normalizer.text.syllables import MARKED, NEEDS_MARKS, OTHER, PLAIN, classify

SENTENCE = "Cộng hoà xã hội chủ nghĩa Việt Nam, người dân phản ánh đường Trần Phú bị ngập nặng"


def _iconv_byte(encoding: str, byte: int) -> str:
    result = subprocess.run(["iconv", "-f", encoding, "-t", "UTF-8"], input=bytes([byte]), capture_output=True)
    return result.stdout.decode() if result.returncode == 0 else "<invalid>"


def test_viscii_table_matches_glibc_for_every_byte() -> None:
    assert [VISCII_TABLE[b] for b in range(256)] == [_iconv_byte("VISCII", b) for b in range(256)]


def test_tcvn3_table_matches_glibc_outside_the_windows_range() -> None:
    # 0x80–0x9F are deliberately cp1252 (ABC documents use Windows quotes there); glibc puts capitals.
    outside = [*range(0x00, 0x80), *range(0xA0, 0x100)]
    assert [TCVN3_TABLE[b] for b in outside] == [_iconv_byte("TCVN5712-1", b) for b in outside]
    assert TCVN3_TABLE[0x93] == "“" and TCVN3_TABLE[0x96] == "–"


def test_encoders_agree_with_glibc() -> None:
    text = SENTENCE
    assert (
        encode_legacy(text, "viscii")
        == subprocess.run(
            ["iconv", "-f", "UTF-8", "-t", "VISCII"], input=text.encode(), capture_output=True, check=True
        ).stdout
    )
    lower = text.replace("Cộng", "cộng")
    assert (
        encode_legacy(lower, "tcvn3")
        == subprocess.run(
            ["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"],
            input=lower.encode(),
            capture_output=True,
            check=True,
        ).stdout
    )
    cp1258 = encode_legacy(text, "windows-1258")
    assert unicodedata.normalize("NFC", cp1258.decode("cp1258")) == text


def test_examples_from_the_note() -> None:
    assert decode_surface("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "tcvn3") == "Cộng hoà xã hội chủ nghĩa Việt Nam"
    assert decode_surface("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni") == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert decode_surface("Ñaø Naüng", "vni") == "Đà Nẵng"
    assert cp1252_surface(encode_legacy("Đà Nẵng", "vni")) == "Ñaø Naüng"
    assert repair_text("Viá»‡t Nam").text == "Việt Nam"
    assert repair_text("Ä‘Æ°á»\x9dng").text == "đường"  # 0x9D is undefined in cp1252: Latin-1 keeps it
    assert repair_text(cp1252_surface(cp1252_surface("đường".encode()).encode())).text == "đường"


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viscii", "windows-1258"])
def test_round_trip_of_every_vietnamese_letter(encoding: str) -> None:
    letters = (
        "".join(
            unicodedata.normalize("NFC", base + tone)
            for base in "aăâeêioôơuưy"
            for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
        )
        + "đ"
    )
    assert decode_legacy(encode_legacy(letters, encoding), encoding) == letters
    if encoding != "tcvn3":  # ABC has no capital toned letters
        assert decode_legacy(encode_legacy(letters.upper(), encoding), encoding) == letters.upper()


def test_tcvn3_writes_capital_toned_letters_as_lowercase_codes() -> None:
    assert decode_legacy(encode_legacy("Ủy ban Đà Nẵng", "tcvn3"), "tcvn3") == "ủy ban Đà Nẵng"


def test_viscii_control_bytes_are_letters() -> None:
    assert decode_legacy(b"\x02\x05\x06\x14\x19\x1e", "viscii") == "ẲẴẪỶỸỴ"


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viscii", "windows-1258"])
def test_decode_bytes_finds_the_legacy_encoding(encoding: str) -> None:
    decoded = decode_bytes(encode_legacy(SENTENCE, encoding))
    assert decoded.encoding == encoding
    assert decoded.text == SENTENCE  # no capital toned letter in it, so TCVN3 loses nothing


def test_decode_bytes_utf8_bom_and_nfd() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + SENTENCE.encode()) == decode_bytes(SENTENCE.encode()).__class__(
        SENTENCE, "utf-8-sig", False
    )
    nfd = decode_bytes(unicodedata.normalize("NFD", SENTENCE).encode())
    assert (nfd.text, nfd.encoding, nfd.repaired) == (SENTENCE, "utf-8", False)


def test_utf8_bytes_holding_mojibake_are_repaired() -> None:
    decoded = decode_bytes(cp1252_surface(SENTENCE.encode()).encode())
    assert (decoded.text, decoded.encoding, decoded.repaired) == (SENTENCE, "utf-8", True)


def test_declared_charset_is_used_when_it_reads_well() -> None:
    decoded = decode_bytes(encode_legacy(SENTENCE, "windows-1258"), declared="windows-1258")
    assert (decoded.text, decoded.encoding, decoded.repaired) == (SENTENCE, "windows-1258", False)
    chinese = "我们街道的路灯已经坏了一个多星期了"
    decoded = decode_bytes(chinese.encode("gb2312"), declared="gb2312")
    assert (decoded.text, decoded.encoding, decoded.repaired) == (chinese, "gb2312", False)
    german = "Die Straßenlaternen sind seit über einer Woche ausgefallen"
    decoded = decode_bytes(german.encode("latin-1"), declared="iso-8859-1")
    assert decoded.text == german and not decoded.repaired


def test_declared_charset_is_overruled_when_a_legacy_reading_is_clearly_better() -> None:
    decoded = decode_bytes(encode_legacy(SENTENCE, "vni"), declared="iso-8859-1")
    assert (decoded.text, decoded.encoding, decoded.repaired) == (SENTENCE, "vni", True)
    decoded = decode_bytes(encode_legacy(SENTENCE, "viscii"), declared="utf-8")
    assert (decoded.text, decoded.encoding) == (SENTENCE, "viscii")


def test_repair_reports_its_method() -> None:
    assert repair_text("hello").method is None
    assert repair_text(SENTENCE).method is None
    assert repair_text(unicodedata.normalize("NFD", SENTENCE)).method == "nfc"
    assert repair_text(cp1252_surface(SENTENCE.encode())).method == "mojibake"
    for encoding, method in [
        ("tcvn3", "tcvn3"),
        ("vni", "vni"),
        ("viscii", "viscii"),
        ("windows-1258", "cp1258"),
    ]:
        result = repair_text(cp1252_surface(encode_legacy(SENTENCE.lower(), encoding)))
        assert (result.text, result.method, result.changed) == (SENTENCE.lower(), method, True)


@pytest.mark.parametrize(
    "text",
    [
        "Élève à l'école où nous étions, déjà très fatigués",
        "Je ne sais pas où il est, à demain",
        "Müller für Öl, Straße über Brücke",
        "Sí, señor, ¿qué tal? El año pasado fue difícil",
        "São Paulo é a maior cidade do Brasil, não é?",
        "Zürich ist schön, aber teuer",
        "naïve café résumé coöperate",
        "Dziękuję bardzo, to jest bardzo ładne miasto",
        "İstanbul'da hava çok güzel bugün",
    ],
)
def test_other_latin_languages_are_left_alone(text: str) -> None:
    result = repair_text(text)
    assert (result.text, result.changed) == (text, False)


def test_syllable_classes() -> None:
    assert [classify(w) for w in ["người", "anh", "nguoi", "the"]] == [MARKED, PLAIN, NEEDS_MARKS, PLAIN]
    assert [classify(w) for w in ["hoà", "hòa", "thuỷ", "thủy", "Quyền", "GIẾNG"]] == [MARKED] * 6
    assert [classify(w) for w in ["street", "fix", "Toâi", "ViÖt", "cát", "cac", "cạc", "càc"]] == [
        OTHER, OTHER, OTHER, OTHER, MARKED, NEEDS_MARKS, MARKED, OTHER,
    ]  # fmt: skip
    assert strip_marks("Đường Nguyễn Trãi") == "Duong Nguyen Trai"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "Đường Trần Phú, P. Lộc Thọ, TP. Nha Trang bị ngập sâu, xem https://abc.vn/x hoặc a.b@gmail.com",
            "vi",
        ),
        ("Tôi đã báo hotline nhưng app bị lỗi login, error 500 mãi không submit được", "vi"),
        ("Duong Tran Phu bi ngap sau qua, de nghi phuong xu ly som", "vi_no_diacritics"),
        ("den duong hu ca tuan nay roi ma chua ai sua", "vi_no_diacritics"),
        ("The street lights on our road have been out for a week", "other"),
        ("có", "undecided"),
        ("Nguyễn Văn An", "undecided"),
        ("Dạ vâng ạ", "undecided"),
        ("", "undecided"),
        ("12345 67890 !!!", "undecided"),
    ],
)
def test_decide_language(text: str, kind: str) -> None:
    assert decide_language(text).kind == kind


def test_language_is_named_only_for_other() -> None:
    assert decide_language("The street lights on our road have been out for a week").language == "en"
    assert decide_language("Les lampadaires de notre rue sont éteints depuis une semaine").language == "fr"
    assert decide_language("우리 동네 가로등이 일주일 넘게 꺼져 있어서 밤에 너무 어둡습니다").language == "ko"
    assert decide_language("có").language is None


def test_language_names() -> None:
    assert language_name_vi("en") == "tiếng Anh" and language_name_en("en") == "English"
    assert language_name_vi("zh-cn") == "tiếng Trung" and language_name_en("zh-CN") == "Chinese"
    assert language_name_vi("km") == "tiếng Khmer" and language_name_en("lo") == "Lao"
    assert language_name_vi("xx") == "ngôn ngữ khác (xx)" and language_name_en(None) == "an unidentified language"
