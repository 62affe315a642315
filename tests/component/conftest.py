"""Component fixtures: one service's processors on a real PostgreSQL, no broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from services.catalogue import definition
from services.runtime.clock import FrozenClock
from services.runtime.consumer import Processor
from services.runtime.service import app_dsn, migrate_service
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, open_database
from tests.support.schemas import login
from tests.support.topics import new_force


@dataclass
class Component:
    """A service's database and one processor for every type it reads."""

    database: Database
    processor: Processor
    clock: FrozenClock


@pytest.fixture
def tenant() -> str:
    """A force of its own for each test; nothing on the broker: records go to processors."""
    return new_force()


@pytest.fixture
async def component(
    settings_for: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Awaitable[Component]]]:
    """Build the processor of a service for a tenant, with its schema migrated."""
    opened: list[Database] = []

    async def build(service: str, tenant: str, **overrides: object) -> Component:
        settings = settings_for(tenant, **overrides)
        service_definition = definition(service)
        await migrate_service(service_definition, settings.database_url)
        await login(settings, service)
        database = await open_database(dsn=app_dsn(settings, service), schema=service, size=3)
        opened.append(database)
        clock = FrozenClock()
        subscriptions = service_definition.wire(tenant, clock).subscriptions
        processor = Processor(
            service=service,
            tenant=tenant,
            database=database,
            routes={kind: route for s in subscriptions for kind, route in s.routes.items()},
            ignored=frozenset().union(*(s.ignored for s in subscriptions)),
            clock=clock,
            max_message_bytes=settings.max_message_bytes,
            max_attempts=settings.max_attempts,
            backoff_seconds=0.0,
        )
        return Component(database, processor, clock)

    yield build
    for database in opened:
        await database.pool.close()
