"""What every long-running process of the gateway does once it has started (light: imported by each)."""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn


def freeze_startup_heap() -> None:
    """Keep what a long-running process built at start-up out of the garbage collector's full passes.

    Imports, settings, catalogs and tables are ~150k objects that live as long as the process; each
    full collection walked them all (~70 ms here) while the event loop stood still, which set the
    intake's p99 at ~80 ms instead of ~14 ms.  Frozen objects are never collected, as start-up state
    never would be anyway.
    """
    gc.collect()
    gc.freeze()


def end_forked_child(code: int) -> NoReturn:
    """How a forked child ends: its buffered output flushed, then out at once, without the exit handlers
    and finalizers of everything it inherited from its parent."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)
