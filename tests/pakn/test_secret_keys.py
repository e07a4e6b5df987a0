"""Secret settings without usable defaults, the generated keys file, completion tokens (no servers)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import Settings, weak_secret
from pakn.secret_keys import completion_token, completion_token_ok, problems, secrets_path, with_secrets


@pytest.mark.parametrize(
    "value", ["", "change-me", "CHANGE_ME", "secret", "test", "short-key-15chr", "changeme-please-now!", "a" * 40]
)
def test_placeholders_and_short_values_are_weak(value: str) -> None:
    assert weak_secret(value)


def test_a_real_key_is_not_weak() -> None:
    assert not weak_secret("web-tests-case-store-secret")


def test_weak_secrets_count_as_not_set(tmp_path: Path) -> None:
    settings = Settings(
        pakn_data_dir=tmp_path,
        case_store_secret=SecretStr("change-me"),
        web_secret=SecretStr("secret"),
        telegram_secret_token=SecretStr("test"),
        hotline_twilio_auth_token=SecretStr("changeme"),
        chat_webhook_secrets=json.loads('{"zalo": "short", "viber": "viber-secret-0123456789"}'),
        open311_api_keys=json.loads('{"app": "change-me"}'),
    )
    assert settings.case_store_secret.get_secret_value() == ""
    assert settings.web_secret.get_secret_value() == ""
    assert settings.telegram_secret_token is None and settings.hotline_twilio_auth_token is None
    assert set(settings.chat_webhook_secrets) == {"viber"} and settings.open311_api_keys == {}
    assert set(settings.weak_secrets) == {
        "CASE_STORE_SECRET", "WEB_SECRET", "TELEGRAM_SECRET_TOKEN", "HOTLINE_TWILIO_AUTH_TOKEN",
        "CHAT_WEBHOOK_SECRETS[zalo]", "OPEN311_API_KEYS[app]",
    }  # fmt: skip
    errors, warnings = problems(settings)
    assert errors == [] and any("CASE_STORE_SECRET" in w for w in warnings)


def test_keys_are_generated_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(pakn_data_dir=tmp_path / "data")
    first = with_secrets(settings)
    path = secrets_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    web, case_store = first.web_secret.get_secret_value(), first.case_store_secret.get_secret_value()
    assert len(web) >= 32 and len(case_store) >= 32 and web != case_store
    again = with_secrets(Settings(pakn_data_dir=tmp_path / "data"))
    assert again.web_secret.get_secret_value() == web
    assert again.case_store_secret.get_secret_value() == case_store
    assert path.read_text().count("=") == 2


def test_a_key_shared_with_someone_else_is_never_made_up(tmp_path: Path) -> None:
    settings = Settings(
        pakn_data_dir=tmp_path, case_store_sink="http", case_store_url="http://x", web_secret=SecretStr("w" * 8)
    )
    resolved = with_secrets(settings)
    assert resolved.case_store_secret.get_secret_value() == ""  # http sink: not generated
    errors, _ = problems(settings)
    assert errors and "CASE_STORE_SECRET" in errors[0]
    set_key = with_secrets(Settings(pakn_data_dir=tmp_path, web_secret=SecretStr("an-operator-chosen-web-key")))
    assert set_key.web_secret.get_secret_value() == "an-operator-chosen-web-key"


def test_completion_tokens_prove_the_receipt(tmp_path: Path) -> None:
    settings = with_secrets(Settings(pakn_data_dir=tmp_path))
    token = completion_token(settings, "PAKN-7K2M-Q9XD")
    assert completion_token_ok(settings, "PAKN-7K2M-Q9XD", token)
    assert completion_token_ok(settings, "PAKN-7K2M-Q9XD", token.lower())
    assert not completion_token_ok(settings, "PAKN-7K2M-Q9XE", token)
    assert not completion_token_ok(settings, "PAKN-7K2M-Q9XD", None)
    assert not completion_token_ok(settings, "PAKN-7K2M-Q9XD", token[:-1] + ("A" if token[-1] != "A" else "B"))
    other = with_secrets(Settings(pakn_data_dir=tmp_path / "other"))
    assert not completion_token_ok(other, "PAKN-7K2M-Q9XD", token)
