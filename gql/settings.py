"""The service's settings: the persistence layer's (DatabaseSettings) and the API's
own (GraphiQL, CORS, limits, tokens, logging), one object read once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from persistence.config import DatabaseSettings

# Request headers a browser may send cross-origin: the API's own, and those that
# Apollo Client, tracing (W3C Trace Context, baggage) and Sentry add.
CLIENT_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-Request-ID",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "Query-Cost",
)


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
    # OpenTelemetry spans over OTLP (gql/server/tracing.py); resolvers at least this slow
    # get spans of their own (0: none, which keeps the fast paths).
    tracing: bool = Field(default=False, validation_alias="TRACING")
    tracing_resolver_ms: float = Field(default=0.0, ge=0, validation_alias="TRACING_RESOLVER_MS")

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
    # Queries parsed and validated once run without Strawberry's per-request
    # extension machinery (gql/api/core/prepared.py).
    prepared_queries: bool = Field(default=True, validation_alias="PREPARED_QUERIES")
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
    # A connection with no operation running for this long is closed (0: never).
    ws_idle_timeout_s: float = Field(default=300.0, ge=0, validation_alias="WS_IDLE_TIMEOUT_S")

    # The estimated cost of a document (gql/api/core/cost.py) above which it is refused.
    max_query_cost: int = Field(default=100_000, ge=1, validation_alias="MAX_QUERY_COST")
    # Operations one JSON array body may hold; 0 refuses batches.
    max_batch_size: int = Field(default=10, ge=0, le=100, validation_alias="MAX_BATCH_SIZE")

    # Persisted documents (gql/server/documents.py): Apollo's automatic persisted
    # queries, and in trusted-documents mode only the registered operations.
    persisted_queries: bool = Field(default=True, validation_alias="PERSISTED_QUERIES")
    persisted_query_cache_size: int = Field(
        default=10_000, ge=1, validation_alias="PERSISTED_QUERY_CACHE_SIZE"
    )
    persisted_query_ttl_s: int = Field(
        default=24 * 3600, ge=1, validation_alias="PERSISTED_QUERY_TTL_S"
    )
    trusted_documents: bool = Field(default=False, validation_alias="TRUSTED_DOCUMENTS")
    trusted_document_manifests: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="TRUSTED_DOCUMENT_MANIFESTS"
    )
    # Shared state of several instances (persisted documents, rate limits).
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    redis_key_prefix: str = Field(default="concierge:", validation_alias="REDIS_KEY_PREFIX")

    # Requests per minute and per token / per client address on /graphql; 0: no limit.
    rate_limit_per_token: int = Field(default=0, ge=0, validation_alias="RATE_LIMIT_PER_TOKEN")
    rate_limit_per_address: int = Field(default=0, ge=0, validation_alias="RATE_LIMIT_PER_ADDRESS")
    rate_limit_storage: Literal["memory", "redis"] = Field(
        default="memory", validation_alias="RATE_LIMIT_STORAGE"
    )

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="CORS_ORIGINS"
    )
    cors_allow_headers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(CLIENT_HEADERS), validation_alias="CORS_ALLOW_HEADERS"
    )

    @field_validator(
        "cors_origins", "cors_allow_headers", "trusted_document_manifests", mode="before"
    )
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """Lists are comma-separated, e.g. ``https://a.example,https://b.example``."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
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
