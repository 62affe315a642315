"""A service schema of the tests' own: the runtime's tables (inbox, outbox, audit) and no more."""

from __future__ import annotations

from services.runtime.migrations import RUNTIME_MIGRATIONS, migrate, role_name
from services.runtime.settings import Settings


async def runtime_schema(settings: Settings, service: str) -> None:
    """Migrate `service`'s schema with the runtime's migrations only, its role with it."""
    await migrate(
        owner_dsn=settings.database_url,
        schema=service,
        role=role_name(service),
        migrations=[("runtime", RUNTIME_MIGRATIONS)],
    )
