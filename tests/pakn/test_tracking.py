from __future__ import annotations

import re

import pytest

from pakn import tracking


def test_codes_are_short_readable_and_distinct() -> None:
    codes = {tracking.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"PAKN-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code), code
        assert tracking.parse(code) == code


@pytest.mark.parametrize("typed", ["{}", "{}".lower(), "  {} ", "PAKN {}", "{}-nohyphen"])
def test_lookups_forgive_how_people_type(typed: str) -> None:
    code = "PAKN-7K2M-Q9X" + tracking._check_symbol("7K2MQ9X")
    bare = code.replace("PAKN-", "")
    variants = {
        "{}": code,
        "  {} ": f"  {code.lower()} ",
        "PAKN {}": f"PAKN {bare}",
        "{}-nohyphen": bare.replace("-", ""),
    }
    assert tracking.parse(variants.get(typed, typed.format(code))) == code


def test_confusable_letters_are_read_as_digits() -> None:
    body = "10O1L1I"  # O → 0, I/L → 1
    canonical = "1001111"
    code = f"PAKN-{canonical[:4]}-{canonical[4:]}{tracking._check_symbol(canonical)}"
    assert tracking.parse(body + tracking._check_symbol(canonical)) == code


def test_every_single_mistyped_symbol_is_caught() -> None:
    for _ in range(200):
        body = tracking.new_code().replace("PAKN-", "").replace("-", "")
        for position in range(8):
            for symbol in tracking.ALPHABET:
                if symbol != body[position]:
                    assert tracking.parse(body[:position] + symbol + body[position + 1 :]) is None


@pytest.mark.parametrize("text", ["", "PAKN", "PAKN-1234", "PAKN-UUUU-UUUU", "hello world", "PAKN-1234-56789"])
def test_garbage_is_not_a_code(text: str) -> None:
    assert tracking.parse(text) is None
