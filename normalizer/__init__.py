"""The normalizer: raw submission in, verdict + findings + normalized case out.  No I/O, no network."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo

from config.catalog import load_catalog
from config.settings import Settings
from normalizer.pipeline import Context
from pakn.records import EarlierCase, NormalizationResult, Submission

__all__ = ["Context", "EarlierCase", "context_from_settings", "normalize"]


def normalize(submission: Submission, context: Context) -> NormalizationResult:
    from normalizer.pipeline import run
    from normalizer.rules import RULES

    return run(RULES, submission, context)


@lru_cache(maxsize=4)
def _context(data_dir: str, province_code: str, timezone: str) -> Context:
    from pathlib import Path

    from normalizer.fields.classify import load_categories, load_kinds
    from normalizer.fields.workdays import load_holidays

    folder = Path(data_dir)
    return Context(
        catalog=load_catalog(folder),
        province_code=province_code,
        timezone=ZoneInfo(timezone),
        categories=load_categories(folder / "categories.toml"),
        kinds=load_kinds(folder / "kinds.toml"),
        calendar=load_holidays(folder / "holidays.toml"),
    )


def context_from_settings(settings: Settings) -> Context:
    return _context(str(settings.data_dir), settings.province_code, settings.timezone)
