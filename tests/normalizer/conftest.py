"""Shared fixtures for the normalizer tests.

``text_report`` collects lines (per-category accuracy of the text corpus) that are printed in the
terminal summary, so the numbers show in every pytest run, with or without ``-s``.  The lines travel on
the test reports (``user_properties``), so they reach the summary from pytest-xdist's worker processes too;
the summary is printed by ``tests/conftest.py``, which the process that prints it has loaded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

_TEXT_REPORT = pytest.StashKey[list[str]]()  # lines written by the tests of this process
_SENT = pytest.StashKey[int]()  # how many of them a report has carried already
_PROPERTY = "normalizer_text_report"  # tests/conftest.py prints what reports carry under this name


@pytest.fixture(scope="session")
def text_report(request: pytest.FixtureRequest) -> list[str]:
    return request.config.stash.setdefault(_TEXT_REPORT, [])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    lines = item.config.stash.get(_TEXT_REPORT, [])
    sent = item.config.stash.get(_SENT, 0)
    if len(lines) > sent:
        report = outcome.get_result()
        report.user_properties = [*report.user_properties, (_PROPERTY, lines[sent:])]
        item.config.stash[_SENT] = len(lines)
