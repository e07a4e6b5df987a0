"""The editable data: every status and verdict the code can produce has its Vietnamese text."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from config.catalog import load_catalog, load_settings_help
from config.settings import GROUPS, DeadlineSettings, Settings
from pakn.records import Status, Verdict
from tests.conftest import PAKN

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


def test_the_deadlines_are_settings_with_their_source() -> None:
    """DUE_WORKING_DAYS and URGENT_DUE_WORKING_DAYS decide the due date of every field that sets none of its
    own, and each deadline setting names where its figure comes from (or says it has no legal source)."""
    from normalizer import context_from_settings
    from normalizer.fields.classify import classify

    ordinary, urgent = "Đăng ký kết hôn phải chờ lâu", "Đèn đường trước nhà bị hỏng, không sáng"
    default = context_from_settings(Settings()).categories
    assert (classify(ordinary, default).due_working_days, classify(urgent, default).due_working_days) == (10, 1)
    changed = context_from_settings(
        Settings(deadlines=DeadlineSettings(due_working_days=15, urgent_due_working_days=2))
    ).categories
    assert (classify(ordinary, changed).due_working_days, classify(urgent, changed).due_working_days) == (15, 2)
    fields = DeadlineSettings.model_fields
    assert "18/2022/QĐ-UBND" in str(fields["urgent_due_working_days"].description)
    assert "PLACEHOLDER" in str(fields["due_working_days"].description)
    for name in ("reminder_after_working_days", "close_after_working_days"):
        assert "No legal source" in str(fields[name].description), name


def test_pakn_settings_prints_each_deadline_with_its_source(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAKN_", "DUE_", "URGENT_"))}
    shown = subprocess.run([*PAKN, "settings"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0, shown.stderr
    for name in ("DUE_WORKING_DAYS", "URGENT_DUE_WORKING_DAYS", "REMINDER_AFTER_WORKING_DAYS"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{name}="))
        comment = []
        while lines[at - 1 - len(comment)].startswith("# "):
            comment.insert(0, lines[at - 1 - len(comment)])
        assert comment, name
        source = " ".join(line.removeprefix("# ") for line in comment)
        assert ("18/2022/QĐ-UBND" in source) or ("Không có căn cứ pháp lý" in source), (name, source)
    assert "URGENT_DUE_WORKING_DAYS=1" in lines and "DUE_WORKING_DAYS=10" in lines


def test_pakn_settings_prints_the_settings_by_concern(tmp_path: Path) -> None:
    """One heading per concern (the gateway's own first), each setting under its concern by its environment
    variable, every one with its description; the test-only failpoint is no setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAKN_", "EMAIL_", "TELEGRAM_"))}
    env["EMAIL_ADDRESSES"] = " PAKN@Tinh.gov.vn, @phuong.gov.vn ,"
    env["TELEGRAM_BOT_TOKEN"] = "123456:telegram-bot-token-for-tests"
    shown = subprocess.run([*PAKN, "settings"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    sections: dict[str, list[str]] = {}
    lines = shown.stdout.splitlines()
    for at, line in enumerate(lines):
        if line.startswith("# === "):
            current = sections.setdefault(line.removeprefix("# === ").removesuffix(" ==="), [])
        elif line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            current.append(name)
            assert lines[at - 1].startswith("# "), f"{name} has no description"
    headings = load_settings_help(Settings().data_dir)
    assert list(sections) == [headings.heading(group) for group in ["gateway", *GROUPS]]
    expected = {
        "gateway": ("PAKN_DATA_DIR", "DATABASE_URL", "REDIS_URL", "WORKERS", "PROVINCE_CODE"),
        "case_store": ("CASE_STORE_SINK", "CASE_STORE_SECRET", "FORWARD_MAX_ATTEMPTS", "OPEN311_API_KEY"),
        "deadlines": ("DUE_WORKING_DAYS", "URGENT_DUE_WORKING_DAYS"),
        "telegram": ("TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"),
        "chatbot": ("CHATBOT_IDLE_TIMEOUT_SECONDS", "CHAT_WEBHOOK_SECRETS"),
        "email": ("EMAIL_ADDRESSES", "EMAIL_FORBIDDEN_EXTENSIONS"),
        "imap": ("IMAP_HOST", "IMAP_DONE_FLAG"),
        "web": ("WEB_SECRET", "WEB_TRUSTED_PROXIES", "ABANDONED_UPLOAD_HOURS", "CONTACT_CHANGE_VALID_HOURS"),
        "open311": ("OPEN311_API_KEYS", "OPEN311_SERVER_JURISDICTION_ID"),
    }
    for group, names in expected.items():
        section = headings.heading(group)
        assert set(names) <= set(sections[section]), (section, sections[section])
    everything = [name for names in sections.values() for name in names]
    assert len(everything) == len(set(everything)) and not any("FAILPOINT" in name for name in everything)
    assert "EMAIL_ADDRESSES=pakn@tinh.gov.vn,@phuong.gov.vn" in lines, "a list: parsed, shown as it is written"
    assert "TELEGRAM_BOT_TOKEN=**********" in lines and "telegram-bot-token" not in shown.stdout
