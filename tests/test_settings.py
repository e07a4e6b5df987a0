"""The settings schema: one model per concern, every environment variable still the one deployments set."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import GROUPS, EmailSettings, Settings, WebSettings, env_name, get_settings
from config.testing_hooks import failpoint

# Every variable the flat schema read before issue #19 (IMAP_FAILPOINT aside: a test hook, no setting).
VARIABLES = """
PAKN_DATA_DIR DATABASE_URL REDIS_URL QUEUE_NAME HOST PORT PUBLIC_URL MAX_BODY_BYTES BODY_MAX_BYTES_BY_PATH WORKERS
WEB_PROCESSES SWEEP_INTERVAL_SECONDS BATCH_WINDOW_SECONDS STALE_AFTER_SECONDS JOB_LEASE_SECONDS NORMALIZE_MAX_ATTEMPTS
CASE_STORE_SINK OPEN311_API_KEY OPEN311_JURISDICTION_ID CASE_STORE_DATABASE_URL CASE_STORE_URL CASE_STORE_SECRET
CASE_STORE_TIMEOUT_SECONDS CASE_STORE_CONCURRENCY CIRCUIT_FAILURE_THRESHOLD CIRCUIT_COOLDOWN_SECONDS
FORWARD_MAX_ATTEMPTS FORWARD_BACKOFF_BASE_SECONDS FORWARD_BACKOFF_MAX_SECONDS PROVINCE_CODE TIMEZONE DUE_WORKING_DAYS
URGENT_DUE_WORKING_DAYS REMINDER_AFTER_WORKING_DAYS CLOSE_AFTER_WORKING_DAYS REPEAT_WINDOW_DAYS NOTIFY_MAX_ATTEMPTS
CONFIG_DATA_DIR HOTLINE_TWILIO_ACCOUNT_SID HOTLINE_TWILIO_AUTH_TOKEN HOTLINE_TWILIO_FROM_NUMBER
HOTLINE_TWILIO_API_BASE_URL HOTLINE_PUBLIC_URL HOTLINE_OPERATOR_DIAL HOTLINE_DIAL_TIMEOUT_SECONDS
HOTLINE_MAX_RECORDING_SECONDS HOTLINE_SESSION_MINUTES HOTLINE_CDR_MATCH_MINUTES HOTLINE_SMS_TO_CALLERS
TELEGRAM_BOT_TOKEN TELEGRAM_SECRET_TOKEN TELEGRAM_WEBHOOK_URL TELEGRAM_API_BASE_URL TELEGRAM_FILE_BASE_URL
TELEGRAM_MAX_ATTACHMENT_BYTES TELEGRAM_LOCATION_BOUNDS CHATBOT_IDLE_TIMEOUT_SECONDS CHATBOT_SWEEP_INTERVAL_SECONDS
ZALO_APP_ID ZALO_OA_SECRET_KEY ZALO_APP_SECRET_KEY ZALO_REFRESH_TOKEN ZALO_API_BASE_URL ZALO_OAUTH_BASE_URL
ZALO_MAX_EVENT_AGE_SECONDS ZALO_TOKEN_REFRESH_MARGIN_SECONDS ZALO_MAX_ATTACHMENT_BYTES ZALO_SEND_ATTEMPTS
CHAT_WEBHOOK_SECRETS EMAIL_ADDRESSES EMAIL_SMTP_PORT EMAIL_SMTP_HOST EMAIL_HOSTNAME EMAIL_MAX_MESSAGE_BYTES
EMAIL_TLS_CERT EMAIL_TLS_KEY EMAIL_FROM_ADDRESS EMAIL_FROM_NAME EMAIL_MAX_ANSWERS_PER_SENDER_PER_DAY
EMAIL_ATTACHMENT_MAX_BYTES EMAIL_ATTACHMENTS_MAX_BYTES EMAIL_ATTACHMENTS_MAX_COUNT EMAIL_ARCHIVE_MAX_UNPACKED_BYTES
EMAIL_FORBIDDEN_EXTENSIONS SMTP_RELAY_HOST SMTP_RELAY_PORT SMTP_RELAY_STARTTLS SMTP_RELAY_USER SMTP_RELAY_PASSWORD
IMAP_HOST IMAP_PORT IMAP_SSL IMAP_USER IMAP_PASSWORD IMAP_FOLDER IMAP_DONE_FOLDER IMAP_DONE_FLAG IMAP_POLL_SECONDS
IMAP_IDLE_SECONDS IMAP_BACKOFF_MAX_SECONDS WEB_RATE_LIMIT_POSTS WEB_RATE_LIMIT_PAGES WEB_RATE_LIMIT_LOOKUPS
WEB_RATE_LIMIT_COMPLETIONS CONTACT_CHANGE_VALID_HOURS WEB_RATE_LIMIT_WINDOW_SECONDS LOGIN_MAX_FAILURES_PER_ACCOUNT
LOGIN_MAX_FAILURES_PER_ADDRESS LOGIN_LOCK_MINUTES WEB_TRUSTED_PROXIES WEB_UPLOAD_MAX_BYTES WEB_UPLOAD_MAX_COUNT
ABANDONED_UPLOAD_HOURS ABANDONED_UPLOAD_SWEEP_SECONDS WEB_REQUEST_MAX_BYTES WEB_SECRET OPEN311_API_KEYS
OPEN311_SERVER_JURISDICTION_ID
""".split()  # noqa: SIM905 (a list to read, not to edit)
# Added since, with their names as they were written.
VARIABLES += ["CASE_STORE_SCHEMA_VERSION", "REVIEW_MODE", "SUMMARY_WEEKDAY", "SUMMARY_TIME", "SUMMARY_EMAILS"]
VARIABLES += ["SUMMARY_TELEGRAM_CHATS", "SUMMARY_ZALO_USERS", "SUMMARY_LEASE_SECONDS"]
VARIABLES += ["MAP_TILE_URL", "MAP_TILE_ATTRIBUTION", "MAP_TILE_MAX_ZOOM", "MAP_POLL_SECONDS", "MAP_MAX_PINS"]
VARIABLES += ["MAP_LEAFLET_DIR"]
VARIABLES += ["CASE_STORE_ANSWERS_URL", "CASE_STORE_RATINGS_URL"]  # the loop and satisfaction (#18)


def test_every_variable_keeps_its_name() -> None:
    own = [name.upper() for name in Settings.model_fields if name not in GROUPS]
    grouped = [env_name(model, field) for model in GROUPS.values() for field in model.model_fields]
    assert sorted(own + grouped) == sorted(VARIABLES)


def test_the_environment_and_dotenv_reach_the_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=123456:from-the-dotenv-file\nFORWARD_MAX_ATTEMPTS=3\nPORT=9001\n"
    )
    monkeypatch.setenv("PAKN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CASE_STORE_SINK", "http")
    monkeypatch.setenv("CIRCUIT_COOLDOWN_SECONDS", "2.5")  # no CASE_STORE_ prefix: kept by its alias
    monkeypatch.setenv("DUE_WORKING_DAYS", "12")
    monkeypatch.setenv("CHAT_WEBHOOK_SECRETS", '{"viber": "viber-secret-0123456789"}')
    monkeypatch.setenv("EMAIL", "someone@example.com")  # set by many shells: not the email group
    settings = Settings()
    assert settings.pakn_data_dir == tmp_path / "data" and settings.port == 9001
    assert settings.telegram.bot_token == SecretStr("123456:from-the-dotenv-file")
    assert (settings.case_store.sink, settings.case_store.forward_max_attempts) == ("http", 3)
    assert settings.case_store.circuit_cooldown_seconds == 2.5 and settings.deadlines.due_working_days == 12
    assert list(settings.chatbot.webhook_secrets) == ["viber"]
    assert settings.case_store_sql_url == f"sqlite:///{tmp_path / 'data' / 'casestore.db'}"


def test_lists_are_written_comma_separated_and_read_as_tuples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_ADDRESSES", " PAKN@Tinh.gov.vn, @Phuong.gov.vn ,,")
    monkeypatch.setenv("EMAIL_FORBIDDEN_EXTENSIONS", "exe, js")
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", "10.0.0.1,10.0.0.2")
    settings = Settings()
    assert settings.email.addresses == ("pakn@tinh.gov.vn", "@phuong.gov.vn")
    assert settings.email.forbidden_extensions == ("exe", "js")
    assert settings.web.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    assert EmailSettings(addresses=["A@B.vn"]).addresses == ("a@b.vn",)
    monkeypatch.delenv("EMAIL_FORBIDDEN_EXTENSIONS")
    assert "exe" in EmailSettings().forbidden_extensions and "sh" in EmailSettings().forbidden_extensions


def test_a_flat_name_from_before_is_refused_not_dropped() -> None:
    with pytest.raises(TypeError, match=r"Settings\(web=WebSettings\(secret=\.\.\.\)\)"):
        Settings(web_secret=SecretStr("an-operator-chosen-web-key"))  # type: ignore[call-arg]
    kept = Settings(web=WebSettings(secret=SecretStr("an-operator-chosen-web-key")))
    assert kept.web.secret.get_secret_value() == "an-operator-chosen-web-key"


def test_a_weak_secret_given_in_a_group_is_dropped_without_touching_the_group_given() -> None:
    given = WebSettings(secret=SecretStr("change-me"))
    settings = Settings(web=given)
    assert settings.web.secret.get_secret_value() == "" and settings.weak_secrets == ("WEB_SECRET",)
    assert given.secret.get_secret_value() == "change-me"


def test_the_settings_are_read_once_per_process() -> None:
    assert get_settings() is get_settings()


def test_the_failpoint_is_read_from_the_test_variable_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAKN_TEST_FAILPOINT", raising=False)
    assert not failpoint("imap-after-journal")
    monkeypatch.setenv("PAKN_TEST_FAILPOINT", "imap-after-journal")
    assert failpoint("imap-after-journal") and not failpoint("something-else")
    assert "failpoint" not in str(Settings().model_dump()).lower()
