"""The persistence layer's settings (from the environment and an optional `.env`), and the
normalisation of the database URLs people paste from their providers."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
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


class DatabaseSettings(BaseSettings):
    """The persistence layer's knobs: the database, its pool and timeouts, health
    probes, password hashing. Read from the environment or `.env`; the service's
    own settings (gql/settings.py) extend these, so a process reads them once."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: SecretStr = Field(
        default=SecretStr(DEFAULT_DATABASE_URL), validation_alias="DATABASE_URL"
    )
    # Read replicas (comma-separated URLs): queries read from them, see persistence/replicas.py.
    database_replica_url: SecretStr | None = Field(
        default=None, validation_alias="DATABASE_REPLICA_URL"
    )
    replica_max_lag_s: float = Field(default=5.0, gt=0, validation_alias="REPLICA_MAX_LAG_S")
    replica_check_s: float = Field(default=1.0, gt=0, le=60, validation_alias="REPLICA_CHECK_S")
    # Above the concurrency one process serves: SQLAlchemy closes an overflow
    # connection when it is returned, so a pool of 10 under 16 concurrent requests
    # started (and ended) a PostgreSQL backend for one request in 18.
    db_pool_size: int = Field(default=20, ge=1, validation_alias="DB_POOL_SIZE")
    db_max_overflow: int = Field(default=10, ge=0, validation_alias="DB_MAX_OVERFLOW")
    db_pool_timeout: float = Field(default=10.0, gt=0, validation_alias="DB_POOL_TIMEOUT")
    db_connect_timeout_s: float = Field(default=5.0, gt=0, validation_alias="DB_CONNECT_TIMEOUT_S")
    # Client-side, so that a database that stops answering (not just a slow query,
    # which statement_timeout cancels on the server) cannot hold a request forever.
    db_command_timeout_s: float = Field(default=20.0, ge=0, validation_alias="DB_COMMAND_TIMEOUT_S")
    db_pool_recycle: int = Field(default=1800, ge=-1, validation_alias="DB_POOL_RECYCLE")
    # A pooled connection unused for longer is checked (a round trip) before use.
    db_ping_idle_s: float = Field(default=2.0, ge=0, validation_alias="DB_PING_IDLE_S")
    db_echo: bool = Field(default=False, validation_alias="DB_ECHO")
    event_listener_check_s: float = Field(
        default=5.0, gt=0, validation_alias="EVENT_LISTENER_CHECK_S"
    )
    db_statement_timeout_ms: int = Field(
        default=15_000, ge=0, validation_alias="DB_STATEMENT_TIMEOUT_MS"
    )
    # PostgreSQL re-plans a prepared statement at every run until a generic plan
    # looks no costlier than the custom ones; for the compiled reads (owner and
    # page size bound) it never does, and planning cost more than executing:
    # by-id 0.32 ms of planning against 0.07 ms of execution, inbox 0.3 of 1.4 ms.
    db_plan_cache_mode: Literal["auto", "force_generic_plan", "force_custom_plan"] = Field(
        default="force_generic_plan", validation_alias="DB_PLAN_CACHE_MODE"
    )
    db_busy_timeout_s: float = Field(default=5.0, gt=0, validation_alias="DB_BUSY_TIMEOUT_S")
    db_pgbouncer: bool = Field(default=False, validation_alias="DB_PGBOUNCER")
    health_timeout_s: float = Field(default=2.0, gt=0, validation_alias="HEALTH_TIMEOUT_S")
    health_cache_s: float = Field(default=1.0, ge=0, le=60, validation_alias="HEALTH_CACHE_SECONDS")
    slow_query_ms: float = Field(default=500.0, ge=0, validation_alias="SLOW_QUERY_MS")
    # argon2id's cost: the RFC 9106 "low memory" choice by default, as argon2-cffi's.
    argon2_time_cost: int = Field(default=3, ge=1, le=20, validation_alias="ARGON2_TIME_COST")
    argon2_memory_kib: int = Field(
        default=65_536, ge=8, le=4_194_304, validation_alias="ARGON2_MEMORY_KIB"
    )
    argon2_parallelism: int = Field(default=4, ge=1, le=64, validation_alias="ARGON2_PARALLELISM")
    # Where uploaded files' bytes live (persistence/storage.py); see `files_root`.
    files_dir: Path | None = Field(default=None, validation_alias="FILES_DIR")

    @property
    def files_root(self) -> Path:
        """``FILES_DIR``, or by default ``concierge-files`` beside the SQLite database
        (in the working directory for PostgreSQL)."""
        if self.files_dir is not None:
            return self.files_dir
        target = self.database
        if target.dialect == "sqlite" and target.url.database not in (None, "", ":memory:"):
            return Path(target.url.database).resolve().parent / "concierge-files"
        return Path("concierge-files").resolve()

    @property
    def database(self) -> DatabaseTarget:
        return normalise_database_url(self.database_url.get_secret_value())

    @property
    def replicas(self) -> tuple[DatabaseTarget, ...]:
        """``DATABASE_REPLICA_URL``'s replicas, in order; they need a PostgreSQL primary."""
        if self.database_replica_url is None:
            return ()
        raw = [part.strip() for part in self.database_replica_url.get_secret_value().split(",")]
        targets = tuple(normalise_database_url(part) for part in raw if part)
        if targets and self.database.dialect != "postgresql":
            raise DatabaseUrlError("read replicas need PostgreSQL as the primary database")
        if any(target.dialect != "postgresql" for target in targets):
            raise DatabaseUrlError("DATABASE_REPLICA_URL must name PostgreSQL databases")
        return targets
