"""Normalizer throughput on ~1 KB Vietnamese submissions, one core, after warm-up.

    .venv/bin/python -m bench.bench_normalizer [--seconds 5] [--block 100]

Prints submissions/s, p50/p99 latency, and the share of time spent in each rule.  Every submission is
distinct (content varied) so no cache helps more than it would in production.

On a shared machine wall time says how busy the neighbours are.  So the run is cut into blocks of
``--block`` submissions and each block's CPU time (this thread's, ``time.thread_time``) is taken too:
"per CPU second" is the throughput of a core this process has to itself, and the best block is the
figure least disturbed by neighbours (a busy sibling hyperthread or a cold cache still slows even CPU
time, never speeds it up).  Instructions are not disturbed at all: ``--count N`` runs exactly N
submissions after the warm-up and prints nothing, so that

    valgrind --tool=callgrind .venv/bin/python -m bench.bench_normalizer --count 300   (and --count 0)

gives the instructions per submission as the difference of the two totals over 300.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from config.settings import Settings
from normalizer import context_from_settings
from normalizer.pipeline import Draft, run
from normalizer.rules import RULES
from pakn.process import freeze_startup_heap
from pakn.records import Channel, Submission, SubmissionFields
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


@dataclass(frozen=True, slots=True)
class Figures:
    """What the bench reports, from the counts and clocks of one run.

    ``per_cpu_second`` is the figure the gateway is held to: submissions over the CPU seconds this
    thread used (``time.thread_time``), so that neighbours on a shared machine do not count.
    """

    per_wall_second: float
    cpu_ms: float  # CPU milliseconds per submission
    per_cpu_second: float
    best_block_ms: float
    best_block_per_cpu_second: float
    median_block_per_cpu_second: float

    @staticmethod
    def of(submissions: int, wall_seconds: float, cpu_seconds: float, blocks: list[float]) -> Figures:
        """``blocks``: CPU seconds per submission of each block of submissions."""
        ordered = sorted(blocks)
        return Figures(
            per_wall_second=submissions / wall_seconds,
            cpu_ms=cpu_seconds / submissions * 1e3,
            per_cpu_second=submissions / cpu_seconds,
            best_block_ms=ordered[0] * 1e3,
            best_block_per_cpu_second=1 / ordered[0],
            median_block_per_cpu_second=1 / ordered[len(ordered) // 2],
        )


class Timed:
    """Wraps a rule to measure it; only used here, never in the gateway."""

    totals: ClassVar[dict[str, float]] = defaultdict(float)

    def __init__(self, rule: object) -> None:
        self.rule = rule
        self.name = rule.name  # type: ignore[attr-defined]
        self.description = rule.description  # type: ignore[attr-defined]

    def check(self, draft: Draft, context: object) -> object:
        started = time.thread_time()
        outcome = self.rule.check(draft, context)  # type: ignore[attr-defined]
        Timed.totals[self.name] += time.thread_time() - started
        return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--block", type=int, default=100, help="submissions per CPU-time block")
    parser.add_argument("--count", type=int, help="run this many submissions after the warm-up, report nothing")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    context = context_from_settings(Settings())
    inputs = [make(i) for i in range(20_000 if args.count is None else 500 + args.count)]
    for item in inputs[:500]:  # warm-up: langdetect profiles, place index, regexes
        run(RULES, item, context)
    freeze_startup_heap()  # as `pakn worker` does once its context is built (pakn/app/runtime.py)
    if args.count is not None:
        for item in inputs[500:]:
            run(RULES, item, context)
        return
    latencies: list[float] = []
    blocks: list[float] = []  # CPU seconds per submission, one per block
    deadline = time.perf_counter() + args.seconds
    index = 500
    started, cpu_started = time.perf_counter(), time.thread_time()
    block_cpu = cpu_started
    while time.perf_counter() < deadline and index < len(inputs):
        t0 = time.perf_counter()
        run(RULES, inputs[index], context)
        latencies.append(time.perf_counter() - t0)
        index += 1
        if (index - 500) % args.block == 0:
            now = time.thread_time()
            blocks.append((now - block_cpu) / args.block)
            block_cpu = now
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    latencies.sort()
    size = sum(len(inputs[i].fields.content.encode()) for i in range(500, index)) / max(1, index - 500)  # type: ignore[union-attr]

    timed = tuple(Timed(rule) for rule in RULES)
    for item in inputs[500 : 500 + 2000]:
        run(timed, item, context)  # type: ignore[arg-type]
    total = sum(Timed.totals.values())

    figures = Figures.of(len(latencies), elapsed, cpu, blocks)
    print(f"command: python -m bench.bench_normalizer {' '.join(sys.argv[1:])}".rstrip())
    print(f"submissions: {len(latencies)} of ~{size:.0f} bytes of content, one core, after 500 warm-up")
    print(f"throughput: {figures.per_wall_second:,.0f} submissions/s (wall)")
    print(
        f"CPU time: {figures.cpu_ms:.3f} ms/submission = {figures.per_cpu_second:,.0f} submissions per CPU"
        f" second; best of {len(blocks)} blocks of {args.block}: {figures.best_block_ms:.3f} ms ="
        f" {figures.best_block_per_cpu_second:,.0f}/s/core,"
        f" median block {figures.median_block_per_cpu_second:,.0f}/s/core"
    )
    print(
        f"latency: p50 {latencies[len(latencies) // 2] * 1e3:.2f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.2f} ms, max {latencies[-1] * 1e3:.2f} ms"
    )
    print("where the time goes (share of rule CPU time):")
    for name, spent in sorted(Timed.totals.items(), key=lambda item: -item[1]):
        print(f"  {name:<22} {spent / total:6.1%}  {spent / 2000 * 1e3:.3f} ms/submission")


if __name__ == "__main__":
    main()
