"""The normalizer bench reports throughput per CPU second (issue #21): on a shared machine wall time
says how busy the neighbours are, so the figure the gateway is held to must not depend on it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_normalizer import Figures

ROOT = Path(__file__).resolve().parents[2]


def test_figures_divide_by_cpu_seconds_not_wall_seconds() -> None:
    # 1,000 submissions in 4 s of wall time, of which this thread ran 0.5 s (a busy machine).
    figures = Figures.of(1000, wall_seconds=4.0, cpu_seconds=0.5, blocks=[0.0006, 0.0004, 0.0005])
    assert figures.per_wall_second == pytest.approx(250)
    assert figures.per_cpu_second == pytest.approx(2000)
    assert figures.cpu_ms == pytest.approx(0.5)
    assert figures.best_block_ms == pytest.approx(0.4)
    assert figures.best_block_per_cpu_second == pytest.approx(2500)
    assert figures.median_block_per_cpu_second == pytest.approx(2000)


def test_bench_prints_the_cpu_second_figure() -> None:
    """A short real run: the printed figure is submissions over this thread's CPU seconds, which one
    thread can never spend faster than the wall clock runs."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_normalizer", "--seconds", "0.3", "--block", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    wall = float(re.search(r"throughput: ([\d,]+) submissions/s \(wall\)", out)[1].replace(",", ""))  # type: ignore[index]
    cpu = re.search(r"CPU time: ([\d.]+) ms/submission = ([\d,]+) submissions per CPU second", out)
    assert cpu is not None, out
    ms, per_cpu_second = float(cpu[1]), float(cpu[2].replace(",", ""))
    assert per_cpu_second == pytest.approx(1000 / ms, rel=0.01)
    assert per_cpu_second >= wall * 0.99
