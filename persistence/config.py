"""Settings read once from the environment (and an optional `.env`), and the
normalisation of the database URLs people paste from their providers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

logger = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./concierge.db"

_POSTGRES_SCHEMES = {
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+pg8000",
}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}

# libpq understands these; asyncpg would reject them as unknown keyword arguments.
_LIBPQ_ONLY_PARAMETERS = {
    "channel_binding",
    "connect_timeout",
    "gssencmode",
    "krbsrvname",
    "options",
    "sslcert",
    "sslcompression",
    "sslcrl",
    "sslkey",
    "sslpassword",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "pgbouncer",
    "supa",
}
_SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


class DatabaseUrlError(ValueError):
    """The configured database URL cannot be used."""


@dataclass(frozen=True)
class DatabaseTarget:
    """A database URL ready for SQLAlchemy, plus the driver arguments it implies."""

    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)
    dropped_parameters: tuple[str, ...] = ()

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def display(self) -> str:
        """The URL with its password hidden, safe for logs and health output."""
        return self.url.render_as_string(hide_password=True)


def normalise_database_url(raw: str) -> DatabaseTarget:
    """Turn a pasted database URL into one SQLAlchemy's async drivers accept.

    PostgreSQL URLs of any common scheme become ``postgresql+asyncpg``;
    ``sslmode`` becomes asyncpg's ``ssl`` argument; libpq-only parameters such
    as ``channel_binding`` are dropped with a warning. SQLite URLs get the
    aiosqlite driver. Raises :class:`DatabaseUrlError` for anything else.
    """
    try:
        url = make_url(raw.strip())
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in the text
        raise DatabaseUrlError("DATABASE_URL is not a valid database URL") from exc

    scheme = url.drivername
    if scheme in _SQLITE_SCHEMES:
        return DatabaseTarget(url=url.set(drivername="sqlite+aiosqlite"))
    if scheme not in _POSTGRES_SCHEMES:
        raise DatabaseUrlError(
            f"unsupported database scheme {scheme!r}: use postgresql://… or sqlite:///…"
        )

    query = dict(url.query)
    connect_args: dict[str, Any] = {}
    dropped: list[str] = []
    sslmode = query.pop("sslmode", None)
    if sslmode is not None:
        mode = sslmode if isinstance(sslmode, str) else sslmode[-1]
        if mode not in _SSL_MODES:
            raise DatabaseUrlError(f"unknown sslmode {mode!r}")
        connect_args["ssl"] = mode
    if "ssl" in query:
        connect_args["ssl"] = query.pop("ssl")
    for name in sorted(query):
        if name in _LIBPQ_ONLY_PARAMETERS:
            query.pop(name)
            dropped.append(name)
    if dropped:
        logger.warning(
            "dropped database URL parameters asyncpg does not understand: %s",
            ", ".join(dropped),
        )
    normalised = url.set(drivername="postgresql+asyncpg", query=query)
    return DatabaseTarget(
        url=normalised, connect_args=connect_args, dropped_parameters=tuple(dropped)
    )


class Settings(BaseSettings):
    """Every knob of Concierge, read from the environment or `.env` once."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production", "test"] = Field(
        default="development", validation_alias="CONCIERGE_ENV"
    )
    database_url: SecretStr = Field(
        default=SecretStr(DEFAULT_DATABASE_URL), validation_alias="DATABASE_URL"
    )
    db_pool_size: int = Field(default=10, ge=1, validation_alias="DB_POOL_SIZE")
    db_max_overflow: int = Field(default=10, ge=0, validation_alias="DB_MAX_OVERFLOW")
    db_pool_timeout: float = Field(default=10.0, gt=0, validation_alias="DB_POOL_TIMEOUT")
    db_connect_timeout_s: float = Field(default=5.0, gt=0, validation_alias="DB_CONNECT_TIMEOUT_S")
    # Client-side, so that a database that stops answering (not just a slow query,
    # which statement_timeout cancels on the server) cannot hold a request forever.
    db_command_timeout_s: float = Field(default=20.0, ge=0, validation_alias="DB_COMMAND_TIMEOUT_S")
    db_pool_recycle: int = Field(default=1800, ge=-1, validation_alias="DB_POOL_RECYCLE")
    db_echo: bool = Field(default=False, validation_alias="DB_ECHO")
    db_statement_timeout_ms: int = Field(
        default=15_000, ge=0, validation_alias="DB_STATEMENT_TIMEOUT_MS"
    )
    db_busy_timeout_s: float = Field(default=5.0, gt=0, validation_alias="DB_BUSY_TIMEOUT_S")
    db_pgbouncer: bool = Field(default=False, validation_alias="DB_PGBOUNCER")
    request_timeout_s: float = Field(default=30.0, gt=0, validation_alias="REQUEST_TIMEOUT_S")
    health_timeout_s: float = Field(default=2.0, gt=0, validation_alias="HEALTH_TIMEOUT_S")
    health_cache_s: float = Field(default=1.0, ge=0, le=60, validation_alias="HEALTH_CACHE_SECONDS")
    slow_query_ms: float = Field(default=500.0, ge=0, validation_alias="SLOW_QUERY_MS")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="LOG_FORMAT")
    metrics_enabled: bool = Field(default=False, validation_alias="METRICS_ENABLED")

    viewer_cache_seconds: float = Field(default=5.0, ge=0, validation_alias="VIEWER_CACHE_SECONDS")
    viewer_cache_size: int = Field(default=10_000, ge=1, validation_alias="VIEWER_CACHE_SIZE")
    secret_key: SecretStr | None = Field(default=None, validation_alias="SECRET_KEY")
    token_ttl_minutes: int = Field(default=60 * 24, ge=1, validation_alias="TOKEN_TTL_MINUTES")
    # argon2id's cost: the RFC 9106 "low memory" choice by default, as argon2-cffi's.
    argon2_time_cost: int = Field(default=3, ge=1, le=20, validation_alias="ARGON2_TIME_COST")
    argon2_memory_kib: int = Field(
        default=65_536, ge=8, le=4_194_304, validation_alias="ARGON2_MEMORY_KIB"
    )
    argon2_parallelism: int = Field(default=4, ge=1, le=64, validation_alias="ARGON2_PARALLELISM")
    graphiql: bool | None = Field(default=None, validation_alias="GRAPHIQL")
    introspection: bool | None = Field(default=None, validation_alias="INTROSPECTION")
    max_page_size: int = Field(default=100, ge=1, le=1000, validation_alias="MAX_PAGE_SIZE")
    default_page_size: int = Field(default=20, ge=1, validation_alias="DEFAULT_PAGE_SIZE")

    # Request limits: each refuses a request before any SQL runs.
    max_query_depth: int = Field(default=12, ge=2, validation_alias="MAX_QUERY_DEPTH")
    max_aliases: int = Field(default=30, ge=1, validation_alias="MAX_ALIASES")
    max_tokens: int = Field(default=5000, ge=100, validation_alias="MAX_TOKENS")
    max_body_bytes: int = Field(default=1_000_000, ge=1024, validation_alias="MAX_BODY_BYTES")
    max_node_ids: int = Field(default=100, ge=1, validation_alias="MAX_NODE_IDS")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="CORS_ORIGINS"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        """``CORS_ORIGINS`` is a comma-separated list, e.g. ``https://a.example,https://b.example``."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def signing_key(self) -> str:
        """The key that signs access tokens; production refuses to run without one."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.is_production:
            raise RuntimeError("SECRET_KEY must be set when CONCIERGE_ENV=production")
        return "concierge-development-key-not-for-production"

    @property
    def database(self) -> DatabaseTarget:
        return normalise_database_url(self.database_url.get_secret_value())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use."""
    return Settings()
