"""Secret settings without usable defaults, the generated keys file, completion tokens (no servers)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import (
    CaseStoreSettings,
    ChatbotSettings,
    HotlineSettings,
    Open311Settings,
    Settings,
    TelegramSettings,
    WebSettings,
    ZaloSettings,
    weak_secret,
)
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
        case_store=CaseStoreSettings(secret=SecretStr("change-me")),
        web=WebSettings(secret=SecretStr("secret")),
        telegram=TelegramSettings(secret_token=SecretStr("test")),
        hotline=HotlineSettings(twilio_auth_token=SecretStr("changeme")),
        chatbot=ChatbotSettings(webhook_secrets=json.loads('{"zalo": "short", "viber": "viber-secret-0123456789"}')),
        open311=Open311Settings(api_keys=json.loads('{"app": "change-me"}')),
    )
    assert settings.case_store.secret.get_secret_value() == ""
    assert settings.web.secret.get_secret_value() == ""
    assert settings.telegram.secret_token is None and settings.hotline.twilio_auth_token is None
    assert set(settings.chatbot.webhook_secrets) == {"viber"} and settings.open311.api_keys == {}
    assert set(settings.weak_secrets) == {
        "CASE_STORE_SECRET", "WEB_SECRET", "TELEGRAM_SECRET_TOKEN", "HOTLINE_TWILIO_AUTH_TOKEN",
        "CHAT_WEBHOOK_SECRETS[zalo]", "OPEN311_API_KEYS[app]",
    }  # fmt: skip
    errors, warnings = problems(settings)
    assert errors == [] and any("CASE_STORE_SECRET" in w for w in warnings)


def test_a_weak_zalo_oa_secret_key_is_not_set_and_its_webhook_refuses_all(tmp_path: Path) -> None:
    zalo = ZaloSettings(app_id="360846524940903967", oa_secret_key=SecretStr("test"))
    settings = Settings(pakn_data_dir=tmp_path, zalo=zalo)
    assert settings.zalo.oa_secret_key is None and "ZALO_OA_SECRET_KEY" in settings.weak_secrets
    errors, warnings = problems(settings)
    assert errors == [] and any("/zalo/webhook đều bị từ chối" in w for w in warnings)


def test_keys_are_generated_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(pakn_data_dir=tmp_path / "data")
    first = with_secrets(settings)
    path = secrets_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    web, case_store = first.web.secret.get_secret_value(), first.case_store.secret.get_secret_value()
    assert len(web) >= 32 and len(case_store) >= 32 and web != case_store
    again = with_secrets(Settings(pakn_data_dir=tmp_path / "data"))
    assert again.web.secret.get_secret_value() == web
    assert again.case_store.secret.get_secret_value() == case_store
    assert path.read_text().count("=") == 2


def test_a_key_shared_with_someone_else_is_never_made_up(tmp_path: Path) -> None:
    settings = Settings(
        pakn_data_dir=tmp_path,
        case_store=CaseStoreSettings(sink="http", url="http://x"),
        web=WebSettings(secret=SecretStr("w" * 8)),
    )
    resolved = with_secrets(settings)
    assert resolved.case_store.secret.get_secret_value() == ""  # http sink: not generated
    errors, _ = problems(settings)
    assert errors and "CASE_STORE_SECRET" in errors[0]
    chosen = WebSettings(secret=SecretStr("an-operator-chosen-web-key"))
    set_key = with_secrets(Settings(pakn_data_dir=tmp_path, web=chosen))
    assert set_key.web.secret.get_secret_value() == "an-operator-chosen-web-key"


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
