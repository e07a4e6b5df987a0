"""What a process builds once from the settings: engines, journal, queues, sink, normalizer context."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from channels.uploads import UPLOAD_REFERENCES
from config.catalog import Catalog, load_catalog
from config.settings import Settings, get_settings
from dispatcher.sinks import Sink, make_sink
from normalizer import Context, context_from_settings
from pakn.app.summary import Senders
from pakn.app.summary_senders import channel_senders
from pakn.attachments import UploadReferences
from pakn.contact_changes import ContactChanges, for_runtime
from pakn.db import make_engine
from pakn.journal import Journal
from pakn.notify import Notifier, notifier_for
from pakn.process import freeze_startup_heap
from pakn.queue import Queues, connect, embedded_redis
from pakn.records import Channel
from pakn.secret_keys import with_secrets

__all__ = ["Runtime", "freeze_startup_heap", "get_runtime"]


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def journal(self) -> Journal:
        return Journal(
            make_engine(self.settings.journal_url),
            stale_after=timedelta(seconds=self.settings.stale_after_seconds),
        )

    @cached_property
    def contact_changes(self) -> ContactChanges:
        settings = self.settings
        return for_runtime(
            self.journal.engine, settings.web.secret.get_secret_value(), settings.web.contact_change_valid_hours
        )

    @cached_property
    def redis_url(self) -> str:
        if self.settings.redis_url:
            return self.settings.redis_url
        # No REDIS_URL: attach to (or start) the embedded server; `pakn run` starts it for its children.
        server = embedded_redis(self.settings.pakn_data_dir)
        self._embedded = server
        return f"unix://{server.socket_file}"

    @cached_property
    def queues(self) -> Queues:
        return Queues(connect(self.redis_url), self.settings.queue_name)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.settings.data_dir)

    @cached_property
    def context(self) -> Context:
        return context_from_settings(self.settings)

    @cached_property
    def sink(self) -> Sink:
        return make_sink(self.settings)

    @property
    def upload_references(self) -> tuple[UploadReferences, ...]:
        """What the channels keep that names kept uploads, for the sweep of abandoned ones."""
        return UPLOAD_REFERENCES

    def summary_senders(self) -> Senders:
        """The ways the week's summary reaches leaders (``pakn.app.summary_senders``)."""
        return channel_senders(self.settings, self.journal.engine)

    def notifier(self, channel: Channel) -> Notifier:
        """The notifier of a channel, made for this runtime (``pakn.notify.NOTIFIERS``)."""
        return notifier_for(channel, self)


_runtime: Runtime | None = None
_pid: int | None = None


def get_runtime() -> Runtime:
    """The runtime of this process (rebuilt after a fork, since engines and sockets do not survive it)."""
    global _runtime, _pid
    if _runtime is None or _pid != os.getpid():
        _runtime, _pid = Runtime(with_secrets(get_settings())), os.getpid()
    return _runtime
