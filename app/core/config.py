"""One validated settings object, read from the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIN_SECRET_LENGTH = 16
"""A configured secret shorter than this is refused at start: short secrets are guessed."""


def default_data_dir() -> Path:
    """Where the default SQLite file lives: $XDG_DATA_HOME/techsov (or ~/.local/share/techsov)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "techsov"


class Settings(BaseSettings):
    """Every knob techsov reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database. Unset: a SQLite file in the data directory, "
            "created, migrated and seeded on first start. PostgreSQL: "
            "postgresql+psycopg://user@host/dbname."
        ),
    )
    techsov_data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Directory of the default SQLite database (used when DATABASE_URL is unset).",
    )
    techsov_seed_dir: Path = Field(
        default=PROJECT_ROOT / "seed",
        description="Seed folder loaded into a new default database on first start.",
    )
    techsov_base_url: str = Field(
        default="",
        description=(
            "Public base URL used in links the API emits (Link headers, next pages). "
            "Empty: links are relative. Never taken from the request's Host header."
        ),
    )
    techsov_cors_origins: str = Field(
        default="*",
        description="Comma-separated origins allowed to read the API from a browser; '*' for any.",
    )
    techsov_cursor_secret: str = Field(
        default="techsov-cursor-integrity",
        description=(
            "Key that signs pagination cursors so a changed cursor is refused; the same in every "
            "worker. Cursors hold only sort values, so this guards integrity, not secrets."
        ),
    )
    techsov_query_timeout_ms: int = Field(
        default=5000,
        description="Longest a single database query may run before it is cancelled.",
    )
    techsov_read_threads: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Database reads (other than searches) run at once per worker process; more requests wait "
        "their turn. Unset: 1 on SQLite, 2 on PostgreSQL (see app/core/deps.py).",
    )
    techsov_search_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Full-text searches run at once per worker process, apart from the other reads.",
    )
    techsov_response_cache_mb: float = Field(
        default=32,
        ge=0,
        description="Memory each worker process keeps for answers to repeated GET requests, in MB (0: no cache). "
        "An answer is kept while the dataset is unchanged; the least recently asked go first. The process grows "
        "by about 1.5 times this (the allocator's share): 32 MB kept held about 60 MB more RSS when full.",
    )
    techsov_response_cache_entry_kb: int = Field(
        default=2048,
        ge=1,
        description="Largest answer the response cache keeps whole, in KB; a larger one (a streamed export) keeps "
        "only its ETag, so If-None-Match is still answered from memory.",
    )
    techsov_metrics_token: str = Field(
        default="",
        description="Bearer token /metrics asks for (Authorization: Bearer …). Empty: /metrics is open; "
        "keep it off the public internet then.",
    )
    techsov_log_json: bool = Field(
        default=False,
        description="Log as JSON lines, one object per record, with the request id of the request that logged it. "
        "Off by default: plain text is cheaper.",
    )
    techsov_ready_timeout_ms: int = Field(
        default=2000,
        ge=1,
        description="Longest /readyz waits for its table read before it answers 503.",
    )
    techsov_write_origins: str = Field(
        default="",
        description="Comma-separated origins a browser may write from (POST, PUT, PATCH, DELETE, or any request "
        "carrying an API key); empty: none. Never with cookies or other credentials.",
    )
    techsov_max_body_bytes: int = Field(
        default=262_144,
        ge=1024,
        description="Largest request body a write takes, in bytes; a larger one is a 413.",
    )
    techsov_write_wait_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest a write waits for a load or another write to finish with the database before it "
        "answers 503 (try again).",
    )
    techsov_dataset_title: str = Field(
        default="techsov — the geopolitics of AI technological autonomy",
        description="Title shown on the dataset card (GET /v1).",
    )
    techsov_dataset_license: str = Field(
        default="CC-BY-4.0",
        description="SPDX identifier of the dataset's licence, shown on the dataset card.",
    )
    techsov_dataset_publisher: str = Field(
        default="techsov contributors",
        description="Who publishes the dataset, as its citation (GET /v1) names them.",
    )
    techsov_dataset_attribution: str = Field(
        default="techsov contributors; each record cites its own sources",
        description="Attribution line shown on the dataset card.",
    )

    @field_validator("techsov_cursor_secret", "techsov_metrics_token")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        """A secret that is set must be long enough not to be guessed (the metrics token may be empty: off)."""
        if value and len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"is {len(value)} characters long; use at least {MIN_SECRET_LENGTH} random characters "
                "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL in effect: DATABASE_URL, or the default SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.default_sqlite_path}"

    @property
    def default_sqlite_path(self) -> Path:
        """Path of the default SQLite database file."""
        return self.techsov_data_dir / "techsov.sqlite3"

    @property
    def uses_default_database(self) -> bool:
        """True when no DATABASE_URL was given."""
        return not self.database_url


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
