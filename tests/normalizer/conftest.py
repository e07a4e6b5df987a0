"""Shared fixtures for the normalizer tests.

``text_report`` collects lines (per-category accuracy of the text corpus) that are printed in the
terminal summary, so the numbers show in every pytest run, with or without ``-s``.
"""

from __future__ import annotations

import pytest

_TEXT_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def text_report(request: pytest.FixtureRequest) -> list[str]:
    return request.config.stash.setdefault(_TEXT_REPORT, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(_TEXT_REPORT, None)
    if lines:
        terminalreporter.section("normalizer text corpus: accuracy per category")
        for line in lines:
            terminalreporter.write_line(line)
