from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

import strawberry

from gql.api.core.context import Info
from gql.api.health.types import Health

try:
    SERVER_VERSION = version("concierge")
except PackageNotFoundError:  # running from a checkout that was not installed
    SERVER_VERSION = "0+unknown"


@strawberry.type
class HealthQueries:
    @strawberry.field(description="Whether the service and its database are usable.")
    async def health(self, info: Info) -> Health:
        services = info.context.services
        report = await services.health.report()
        replicas = services.replicas.states() if services.replicas is not None else None
        return Health.from_report(
            report, SERVER_VERSION, time.monotonic() - services.started_at, replicas
        )
