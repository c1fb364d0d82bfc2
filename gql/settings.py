"""The service's settings: the persistence layer's (DatabaseSettings) and the API's
own (GraphiQL, CORS, limits, tokens, logging), one object read once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from persistence.config import DatabaseSettings


class Settings(DatabaseSettings):
    """Every knob of Concierge, read from the environment or `.env` once."""

    environment: Literal["development", "production", "test"] = Field(
        default="development", validation_alias="CONCIERGE_ENV"
    )
    request_timeout_s: float = Field(default=30.0, gt=0, validation_alias="REQUEST_TIMEOUT_S")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="LOG_FORMAT")
    metrics_enabled: bool = Field(default=False, validation_alias="METRICS_ENABLED")

    viewer_cache_seconds: float = Field(default=5.0, ge=0, validation_alias="VIEWER_CACHE_SECONDS")
    viewer_cache_size: int = Field(default=10_000, ge=1, validation_alias="VIEWER_CACHE_SIZE")
    secret_key: SecretStr | None = Field(default=None, validation_alias="SECRET_KEY")
    token_ttl_minutes: int = Field(default=60 * 24, ge=1, validation_alias="TOKEN_TTL_MINUTES")
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
    # Uploads (multipart requests): each file's size, checked while it streams in,
    # and how many files one request may carry.
    max_upload_bytes: int = Field(default=25_000_000, ge=1, validation_alias="MAX_UPLOAD_BYTES")
    max_upload_files: int = Field(default=10, ge=1, le=100, validation_alias="MAX_UPLOAD_FILES")
    # How long a file's signed download URL (`File.url`) stays valid.
    file_url_ttl_s: int = Field(default=900, ge=1, validation_alias="FILE_URL_TTL_S")
    # Root fields whose whole selection the database can answer are read as one
    # statement's JSON (PostgreSQL only; gql/api/core/compiled.py).
    compiled_reads: bool = Field(default=True, validation_alias="COMPILED_READS")
    # Subscriptions over WebSocket (gql/server/subscriptions.py).
    max_subscriptions_per_connection: int = Field(
        default=50, ge=1, validation_alias="MAX_SUBSCRIPTIONS_PER_CONNECTION"
    )
    subscription_queue_size: int = Field(
        default=100, ge=1, validation_alias="SUBSCRIPTION_QUEUE_SIZE"
    )
    ws_init_timeout_s: float = Field(default=10.0, gt=0, validation_alias="WS_INIT_TIMEOUT_S")
    ws_ping_interval_s: float = Field(default=20.0, ge=0, validation_alias="WS_PING_INTERVAL_S")
    ws_ping_timeout_s: float = Field(default=20.0, gt=0, validation_alias="WS_PING_TIMEOUT_S")
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use."""
    return Settings()
