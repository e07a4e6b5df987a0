"""Hooks the crash tests use to stop a process at a chosen point; not a setting, not for production.

A test that proves a recovery (journaled but not yet flagged, ...) must kill a real process at one
exact step.  It names the step in ``PAKN_TEST_FAILPOINT`` of the process's environment; the code there
asks ``failpoint(name)`` and exits.  Kept out of ``config.settings`` so that no operator sees it among the
documented settings (``pakn settings``) or sets it by accident.
"""

from __future__ import annotations

import os

ENV_VAR = "PAKN_TEST_FAILPOINT"


def failpoint(name: str) -> bool:
    """True when a test asked this process to fail at ``name`` (read each time: cheap, and never cached)."""
    return os.environ.get(ENV_VAR, "") == name
