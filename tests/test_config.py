"""The editable data: every status and verdict the code can produce has its Vietnamese text."""

from __future__ import annotations

from config.catalog import load_catalog
from config.settings import Settings
from pakn.records import Status, Verdict

CATALOG = load_catalog(Settings().data_dir)


def test_every_status_has_a_text_for_citizens() -> None:
    missing = [status.value for status in Status if not CATALOG.messages.has("status", status.value)]
    assert missing == []


def test_every_verdict_and_case_update_has_a_notification() -> None:
    kinds = [v.value for v in Verdict] + ["reminder", "closed", "case-received", "case-in_progress", "case-resolved"]
    assert [k for k in kinds if not CATALOG.messages.has("notification", k)] == []


def test_every_required_field_has_a_missing_message() -> None:
    fields = {f for channel in CATALOG.required_fields.by_channel.values() for f in channel}
    assert [f for f in fields if not CATALOG.messages.has("finding", f"missing-{f}")] == []
