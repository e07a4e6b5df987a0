"""PAKN Gateway: the core, and the app layer in ``pakn.app``.

The core (every module here but ``pakn.app``) is what everything may use, and uses nothing of ours but
``config``: records, the database and its migrations, the journal, the group-commit intake writer and its
process, the queues, tracking codes, notifiers' registry, attachments, reports' figures and the live map's.
``pakn.app`` alone composes everything: the web application, the `pakn` command line, the process runtime,
the worker's jobs, the supervisor, the sweeper, the week's summary and metrics (docs/architecture.md).
"""
