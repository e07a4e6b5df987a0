"""Throughput of the text layer (repair_text + decide_language) on ~1 KB Vietnamese texts, one core.

    .venv/bin/python bench/bench_text.py [--seconds 5] [--mix]

Texts are built from the seed sentences of the text corpus (clean Vietnamese, ~1 KB each), each one
made unique so that the per-text cache (repair and language share one analysis) never serves a
previous run.  With
``--mix`` one text in ten is a legacy/mojibake surface (the slow path).  Prints texts/s and the
p50/p99 latency in ms after a warm-up.  Target for this layer: >= 5,000 texts/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from normalizer.text import decide_language, encode_legacy, repair_text  # noqa: E402
from normalizer.text.legacy import cp1252_surface  # noqa: E402

SOURCES = ROOT / "tests" / "fixtures" / "normalizer" / "text_corpus_sources.json"


def build_texts(count: int, mix: bool) -> list[str]:
    data = json.loads(SOURCES.read_text(encoding="utf-8"))
    sentences = [s["text"] for s in data["seed_sentences"]] + data["informal_vi"]
    texts: list[str] = []
    i = 0
    while len(texts) < count:
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < 1000:
            parts.append(sentences[i % len(sentences)])
            i += 1
        text = " ".join(parts)
        if mix and len(texts) % 10 == 9:
            encoding = ("tcvn3", "vni", "viscii", "windows-1258", "mojibake")[len(texts) // 10 % 5]
            raw = text.encode() if encoding == "mojibake" else encode_legacy(text, encoding, errors="replace")
            text = cp1252_surface(raw)
        texts.append(text)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--mix", action="store_true", help="one text in ten is a legacy/mojibake surface")
    args = parser.parse_args()

    texts = build_texts(500, args.mix)
    for text in texts[:200]:  # warm-up: imports, langdetect profiles if any text needs them, caches
        decide_language(repair_text(text).text)

    latencies: list[float] = []
    clock = time.perf_counter
    start = clock()
    i = 0
    while clock() - start < args.seconds:
        # Every text is new (a running number in front): no cache can help, as with real submissions.
        text = f"{i} {texts[i % len(texts)]}"
        t0 = clock()
        decide_language(repair_text(text).text)
        latencies.append(clock() - t0)
        i += 1
    elapsed = clock() - start

    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    mean_len = sum(map(len, texts)) / len(texts)
    print(f"texts: {len(latencies)} of ~{mean_len:.0f} chars in {elapsed:.2f} s (mix={args.mix})")
    print(f"throughput: {len(latencies) / elapsed:,.0f} texts/s")
    print(f"latency: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {latencies[-1] * 1000:.3f} ms")


if __name__ == "__main__":
    main()
