"""The normalizer: raw submission in, verdict + findings + normalized case out.  No I/O, no network."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from config.catalog import load_catalog
from config.settings import Settings
from normalizer.fields.classify import load_categories, load_kinds
from normalizer.fields.places import province_name
from normalizer.fields.routing import load_routing
from normalizer.fields.subjects import load_subjects
from normalizer.fields.workdays import load_holidays
from normalizer.pipeline import Context, run
from normalizer.rules import RULES
from pakn.records import EarlierCase, NormalizationResult, Submission

__all__ = ["Context", "EarlierCase", "context_from_settings", "normalize"]


def normalize(submission: Submission, context: Context) -> NormalizationResult:
    return run(RULES, submission, context)


@lru_cache(maxsize=4)
def _context(data_dir: str, province_code: str, timezone: str, due: tuple[int, int] | None = None) -> Context:
    folder = Path(data_dir)
    categories = load_categories(folder / "categories.toml", due)
    fields = {c.code: c.name for c in categories.categories}
    return Context(
        catalog=load_catalog(folder),
        province_code=province_code,
        timezone=ZoneInfo(timezone),
        categories=categories,
        kinds=load_kinds(folder / "kinds.toml"),
        calendar=load_holidays(folder / "holidays.toml"),
        subjects=load_subjects(folder / "subjects.toml"),
        routes=load_routing(folder / "routing.toml", fields, categories.fallback),
        province_name=province_name(province_code) or province_code,
    )


def context_from_settings(settings: Settings) -> Context:
    due = (
        settings.deadlines.due_working_days,
        settings.deadlines.urgent_due_working_days,
    )  # documented in config/settings.py
    return _context(str(settings.data_dir), settings.province_code, settings.timezone, due)
