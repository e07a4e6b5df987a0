"""From a row to the record it stores: one way, instead of each store copying column after column."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import RowMapping

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


class NamedColumns(Protocol):
    """A result row (SQLAlchemy's ``Row`` of any columns): its values by column name."""

    @property
    def _mapping(self) -> RowMapping: ...


def record_of(record: type[R], row: NamedColumns, **converted: Any) -> R:
    """The record whose fields the row's columns are named after.

    ``converted``: the fields whose column holds them in another form (a ``Channel`` as its string, JSON
    text), given already made; a field the row lacks keeps its default.
    """
    values = row._mapping
    return record(
        **{
            f.name: converted[f.name] if f.name in converted else values[f.name]
            for f in fields(record)
            if f.name in converted or f.name in values
        }
    )
