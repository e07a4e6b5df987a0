"""Schema migrations, run by `pakn db upgrade` and at the start of `pakn run`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from pakn.db import case_store_metadata, make_engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(journal_url: str) -> None:
    # "heads": each channel's tables are a branch of their own off the core schema.
    command.upgrade(alembic_config(journal_url), "heads")


def create_case_store(url: str) -> None:
    """The embedded `sql` case store stands for the downstream system: its table is created, not migrated."""
    engine = make_engine(url)
    case_store_metadata.create_all(engine)
    engine.dispose()
