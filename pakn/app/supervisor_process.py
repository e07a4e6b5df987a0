"""The supervisor's process: ``python -m pakn.app.supervisor_process``, what ``pakn.app.supervisor.exec_supervisor``
runs, with the spec in PAKN_SUPERVISOR_SPEC.

It composes the supervisor (``pakn.app.supervisor``, which knows nothing of the command line) with the
`pakn` command line its forked children run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence

from pakn.app.cli import main as pakn
from pakn.app.supervisor import SPEC, Program, Supervisor, preload, set_title
from pakn.logs import configure_logging


def run_pakn(args: Sequence[str]) -> None:
    """What a forked child runs: the `pakn` command line with its program's arguments."""
    pakn(list(args), prog_name="pakn")


def main() -> int:
    configure_logging()
    spec = json.loads(os.environ.pop(SPEC))  # not passed on to the children
    set_title(spec["title"])
    programs = [Program(**{**p, "argv": tuple(p["argv"])}) for p in spec["programs"]]
    preload(spec.get("preload", []))
    try:
        return Supervisor(programs, os.environ, command=run_pakn).run()
    finally:
        for path in spec["remove"]:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
