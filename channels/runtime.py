"""What the channels work with, given to them by the app layer (``pakn.app.runtime.Runtime`` is one).

The channels never build or look up a runtime: a view takes it with ``Depends`` (``channels.depends``), a
command, a bot or a listener is passed it by the app.  This says which of its parts they use.
"""

from __future__ import annotations

from typing import Protocol

from config.catalog import Catalog
from normalizer import Context
from pakn.contact_changes import ContactChanges
from pakn.deps import QueuedDeps


class Runtime(QueuedDeps, Protocol):
    """The process's settings and what it built once from them."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def context(self) -> Context:
        """The normalizer's data (categories, places, agencies), for the channels' forms and pages."""
        ...

    @property
    def contact_changes(self) -> ContactChanges: ...

    @property
    def redis_url(self) -> str:
        """The process's Redis (an embedded one without REDIS_URL), handed down to the intake writer."""
        ...
