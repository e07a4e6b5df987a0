"""One way from a channel's model to ``SubmissionFields``: no channel copies its values field by field.

Kept apart from ``channels.intake`` (FastAPI, the runtime): the worker reads journaled payloads with
these models and needs neither.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel

from pakn.records import SubmissionFields

_SUBMISSION_FIELDS = tuple(f.name for f in dataclasses.fields(SubmissionFields))


class FieldsModel(BaseModel):
    """A channel's model whose fields carry ``SubmissionFields``' names (``content``, ``phone``, ...):
    ``to_fields`` copies those over; ``renamed`` maps a field of another name (chat's ``text``)."""

    renamed: ClassVar[Mapping[str, str]] = {}

    def to_fields(self, **given: Any) -> SubmissionFields:
        """The submission's fields; ``given`` values (already in ``SubmissionFields``' types) win."""
        names = type(self).model_fields
        values: dict[str, Any] = {name: getattr(self, name) for name in _SUBMISSION_FIELDS if name in names}
        values.update({theirs: getattr(self, ours) for ours, theirs in self.renamed.items()})
        values.update(given)
        return SubmissionFields(**values)
