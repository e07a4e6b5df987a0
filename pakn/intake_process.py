"""The journal writer's process: ``main([FD])`` in the child ``pakn.intake.IntakeWriter`` forks (or, by hand,
``python -m pakn.intake_process FD``).

It builds what the writer works with (the journal's intake, the queue to enqueue on) from the settings,
and nothing else: not the whole ``pakn.app.runtime.Runtime`` (the normalizer, the sink), which this process
never uses and which would weigh on each of the gateway's writers.  The writer itself
(``pakn.intake.JournalWriter``) looks nothing up.
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta

from config.settings import get_settings
from pakn.db import make_engine
from pakn.intake import JournalWriter
from pakn.journal import Journal
from pakn.logs import configure_logging
from pakn.process import freeze_startup_heap
from pakn.queue import Queues, connect, embedded_redis
from pakn.secret_keys import with_secrets


def main(argv: Sequence[str]) -> None:
    """``python -m pakn.intake_process FD``: the writer process, on the socket its channel process handed down."""
    configure_logging()
    # Ctrl-C, and `pakn run` stopping (SIGTERM to the process group), reach this process too: the
    # channel process shuts down first, answering the senders still waiting on this writer, then closes
    # its end of the socket, which ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    channel = socket.socket(fileno=int(argv[0]))
    settings = with_secrets(get_settings())
    # IntakeWriter hands its process's REDIS_URL down; without one, the embedded server, as pakn.app.runtime does
    # (kept referenced for the process's lifetime).
    redis_url, server = settings.redis_url, None
    if not redis_url:
        server = embedded_redis(settings.pakn_data_dir)
        redis_url = f"unix://{server.socket_file}"
    journal = Journal(make_engine(settings.journal_url), stale_after=timedelta(seconds=settings.stale_after_seconds))
    queues = Queues(connect(redis_url), settings.queue_name)
    writer = JournalWriter(journal.intake, queues.enqueue_normalize, enqueue_delay=settings.batch_window_seconds)
    freeze_startup_heap()
    writer.serve(channel)


if __name__ == "__main__":
    main(sys.argv[1:])
