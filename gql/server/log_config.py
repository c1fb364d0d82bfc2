"""Logging for ``concierge serve``: one handler on stderr, every record tagged with
its request id, as readable text or as one JSON object per line (``LOG_FORMAT``)."""

from __future__ import annotations

from typing import Any

from gql.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
# The fields every JSON line starts with; `extra` fields of a record follow them.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


def log_config(settings: Settings, *, serving: bool = False) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration (uvicorn's ``log_config``).

    ``serving`` quietens Alembic's per-connection lines: health checks read the
    migration revision on every call, and those lines would drown the request log.
    """
    formatters: dict[str, Any] = {
        "text": {"format": TEXT_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    }
    loggers: dict[str, Any] = {
        # uvicorn's own handlers would print its lines a second time, unformatted.
        "uvicorn": {"handlers": [], "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True},
        # Concierge's request line (concierge.request) carries more than the access log.
        "uvicorn.access": {"handlers": [], "propagate": False},
    }
    if serving:
        loggers["alembic.runtime.migration"] = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "gql.server.middleware.RequestIdLogFilter"}},
        "formatters": formatters,
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": settings.log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": loggers,
    }
