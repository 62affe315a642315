"""Service schemas of the tests' own, and the login roles that reach them."""

from __future__ import annotations

from services.access.credentials import CredentialStore
from services.access.database import provision_logins
from services.runtime.migrations import RUNTIME_MIGRATIONS, migrate, role_name
from services.runtime.settings import Settings

# Tenants given a login role outside provisioning (component tests): dropped with the rest.
LOGGED_IN: set[str] = set()


async def runtime_schema(settings: Settings, service: str) -> None:
    """Migrate `service`'s schema with the runtime's migrations only; its tenant may log in."""
    await migrate(
        owner_dsn=settings.database_url,
        schema=service,
        role=role_name(service),
        migrations=[("runtime", RUNTIME_MIGRATIONS)],
    )
    await login(settings, service)


async def login(settings: Settings, service: str) -> None:
    """Make the login role of the settings' tenant for `service`, as provisioning does."""
    assert settings.kafka_credentials_dir is not None, "the stack's credentials folder"
    store = CredentialStore(settings.kafka_credentials_dir).database()
    await provision_logins(settings.database_url, [(settings.tenant, service)], store)
    LOGGED_IN.add(settings.tenant)
