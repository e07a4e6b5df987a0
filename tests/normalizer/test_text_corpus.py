"""The labelled text corpus (tests/fixtures/normalizer/text_corpus.jsonl) run end to end.

Every case goes through the public API as the pipeline will use it: bytes through ``decode_bytes``,
strings (and the cp1252 surface of legacy bytes) through ``repair_text``, the result through
``decide_language``.  Per-category accuracy is printed in the terminal summary (see conftest.py).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from normalizer.text import decide_language, decode_bytes, repair_text

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "normalizer" / "text_corpus.jsonl"
LEGACY = ("tcvn3", "vni", "viscii", "windows-1258")
MOJIBAKE = ("mojibake_cp1252", "mojibake_latin1", "mojibake_double")
CLEAN_VI = ("clean_vi", "informal_vi", "mixed_vi")
UNTOUCHED = (*CLEAN_VI, "no_diacritics", "other_language", "short")


@dataclass
class Tally:
    ok: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def record(self, metric: str, passed: bool, detail: str) -> None:
        self.total[metric] += 1
        self.ok[metric] += passed
        if not passed:
            self.failures[metric].append(detail)

    def rate(self, metric: str) -> float:
        return self.ok[metric] / self.total[metric] if self.total[metric] else 0.0


def _load() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return _load()


@pytest.fixture(scope="module")
def tally(corpus: list[dict[str, Any]], text_report: list[str]) -> Tally:
    t = Tally()
    for case in corpus:
        cat, expected = case["category"], case["expected_text"]
        if "input_hex" in case:
            decoded = decode_bytes(bytes.fromhex(case["input_hex"]))
            t.record(f"{cat}/bytes", decoded.text == expected, f"{case['id']}: {decoded.text!r}")
            t.record(f"{cat}/bytes-encoding", decoded.encoding == case["encoding"], f"{case['id']}: {decoded}")
            repaired = repair_text(case["surface"])
            t.record(f"{cat}/surface", repaired.text == expected, f"{case['id']}: {repaired.text!r}")
            if cat in LEGACY:
                kind = decide_language(decoded.text).kind
                t.record("decoded-legacy/not-flagged-no-diacritics", kind != "vi_no_diacritics", case["id"])
            continue
        repaired = repair_text(case["input"])
        t.record(f"{cat}/repair", repaired.text == expected, f"{case['id']}: {repaired}")
        if cat in UNTOUCHED:
            t.record(f"{cat}/untouched", not repaired.changed and repaired.method is None, case["id"])
        if case.get("expected_kind"):
            decision = decide_language(repaired.text)
            t.record(f"{cat}/kind", decision.kind == case["expected_kind"], f"{case['id']}: {decision}")
            if cat in (*CLEAN_VI, "nfd"):
                t.record("clean-vi/not-flagged-no-diacritics", decision.kind != "vi_no_diacritics", case["id"])
            if cat in ("clean_vi", "no_diacritics"):
                t.record("sentences/with-vs-without-diacritics", decision.kind == case["expected_kind"], case["id"])
            if case["expected_kind"] == "other":
                t.record(
                    f"{cat}/language-named",
                    decision.language == case["expected_language"],
                    f"{case['id']}: {decision.language} != {case['expected_language']}",
                )
    for metric in sorted(t.total):
        text_report.append(f"{metric:45s} {t.ok[metric]:4d}/{t.total[metric]:<4d} {100 * t.rate(metric):6.2f}%")
    return t


def _assert_rate(t: Tally, metric: str, minimum: float) -> None:
    assert t.total[metric] > 0, f"no cases for {metric}"
    assert t.rate(metric) >= minimum, f"{metric}: {t.rate(metric):.2%} < {minimum:.0%}; {t.failures[metric][:5]}"


def test_corpus_is_big_and_varied(corpus: list[dict[str, Any]]) -> None:
    categories = Counter(case["category"] for case in corpus)
    assert len(corpus) >= 350
    assert len({case["input"] for case in corpus if case["category"] == "clean_vi"}) >= 120
    assert categories["other_language"] >= 40
    assert {*LEGACY, *MOJIBAKE, "nfd", "short", "informal_vi", "mixed_vi", "no_diacritics"} <= set(categories)


@pytest.mark.parametrize("category", LEGACY)
def test_legacy_encodings_are_repaired(tally: Tally, category: str) -> None:
    _assert_rate(tally, f"{category}/bytes", 0.99)
    _assert_rate(tally, f"{category}/surface", 0.99)


@pytest.mark.parametrize("category", MOJIBAKE)
def test_mojibake_is_repaired(tally: Tally, category: str) -> None:
    _assert_rate(tally, f"{category}/repair", 0.99)


def test_nfd_becomes_nfc(tally: Tally) -> None:
    _assert_rate(tally, "nfd/repair", 1.0)


@pytest.mark.parametrize("category", UNTOUCHED)
def test_clean_text_is_never_touched(tally: Tally, category: str) -> None:
    _assert_rate(tally, f"{category}/repair", 1.0)
    _assert_rate(tally, f"{category}/untouched", 1.0)


def test_foreign_cp1252_bytes_decode_as_written(tally: Tally) -> None:
    _assert_rate(tally, "other_cp1252/bytes", 1.0)
    _assert_rate(tally, "other_cp1252/surface", 1.0)


def test_with_vs_without_diacritics_on_sentences(tally: Tally) -> None:
    _assert_rate(tally, "sentences/with-vs-without-diacritics", 0.97)


def test_no_clean_vietnamese_is_called_without_diacritics(tally: Tally) -> None:
    _assert_rate(tally, "clean-vi/not-flagged-no-diacritics", 1.0)
    _assert_rate(tally, "decoded-legacy/not-flagged-no-diacritics", 1.0)


@pytest.mark.parametrize("category", CLEAN_VI)
def test_vietnamese_with_diacritics_is_vi(tally: Tally, category: str) -> None:
    _assert_rate(tally, f"{category}/kind", 1.0)


def test_other_languages_are_other_and_named(tally: Tally) -> None:
    _assert_rate(tally, "other_language/kind", 0.95)
    _assert_rate(tally, "other_language/language-named", 0.90)


def test_short_answers_are_not_judged(tally: Tally) -> None:
    _assert_rate(tally, "short/kind", 1.0)
