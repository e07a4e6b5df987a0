"""Normalizer throughput on ~1 KB Vietnamese submissions, one core, after warm-up.

    .venv/bin/python -m bench.bench_normalizer [--seconds 5]

Prints submissions/s, p50/p99 latency, and the share of time spent in each rule.  Every submission is
distinct (content varied) so no cache helps more than it would in production.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from config.settings import Settings
from normalizer import context_from_settings
from normalizer.pipeline import Draft, run
from normalizer.rules import RULES
from pakn.records import Channel, Submission, SubmissionFields
from pakn.runtime import freeze_startup_heap
from tests.samples import submission

RECEIVED = datetime(2024, 9, 16, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
FILLER = (
    " Người dân trong khu phố đã nhiều lần phản ánh với tổ dân phố nhưng chưa được giải quyết, "
    "đề nghị cơ quan chức năng sớm kiểm tra, xử lý dứt điểm để bảo đảm an toàn và vệ sinh môi trường."
)


def make(index: int) -> Submission:
    body = submission(index)
    content = body["content"]
    while len(content.encode()) < 1000:
        content += FILLER
    fields = SubmissionFields(
        content=f"{content} (lần {index})",
        incident_time=body["incident_time"],
        location=body["location"],
        name=body["name"],
        phone=body["phone"],
        email=body["email"],
    )
    return Submission(Channel.API, RECEIVED, fields)


class Timed:
    """Wraps a rule to measure it; only used here, never in the gateway."""

    totals: ClassVar[dict[str, float]] = defaultdict(float)

    def __init__(self, rule: object) -> None:
        self.rule = rule
        self.name = rule.name  # type: ignore[attr-defined]
        self.description = rule.description  # type: ignore[attr-defined]

    def check(self, draft: Draft, context: object) -> object:
        started = time.perf_counter()
        outcome = self.rule.check(draft, context)  # type: ignore[attr-defined]
        Timed.totals[self.name] += time.perf_counter() - started
        return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    context = context_from_settings(Settings())
    inputs = [make(i) for i in range(20_000)]
    for item in inputs[:500]:  # warm-up: langdetect profiles, place index, regexes
        run(RULES, item, context)
    freeze_startup_heap()  # as `pakn worker` does once its context is built (pakn/runtime.py)
    latencies: list[float] = []
    deadline = time.perf_counter() + args.seconds
    index = 500
    started = time.perf_counter()
    while time.perf_counter() < deadline and index < len(inputs):
        t0 = time.perf_counter()
        run(RULES, inputs[index], context)
        latencies.append(time.perf_counter() - t0)
        index += 1
    elapsed = time.perf_counter() - started
    latencies.sort()
    size = sum(len(inputs[i].fields.content.encode()) for i in range(500, index)) / max(1, index - 500)  # type: ignore[union-attr]

    timed = tuple(Timed(rule) for rule in RULES)
    for item in inputs[500 : 500 + 2000]:
        run(timed, item, context)  # type: ignore[arg-type]
    total = sum(Timed.totals.values())

    print(f"command: python -m bench.bench_normalizer {' '.join(sys.argv[1:])}".rstrip())
    print(f"submissions: {len(latencies)} of ~{size:.0f} bytes of content, one core, after 500 warm-up")
    print(f"throughput: {len(latencies) / elapsed:,.0f} submissions/s")
    print(
        f"latency: p50 {latencies[len(latencies) // 2] * 1e3:.2f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.2f} ms, max {latencies[-1] * 1e3:.2f} ms"
    )
    print("where the time goes (share of rule time):")
    for name, spent in sorted(Timed.totals.items(), key=lambda item: -item[1]):
        print(f"  {name:<22} {spent / total:6.1%}  {spent / 2000 * 1e3:.3f} ms/submission")


if __name__ == "__main__":
    main()
