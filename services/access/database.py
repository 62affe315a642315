"""The database side of the walls: one login role per tenant and service, made by the owner.

`<tenant>.<service>` logs in with its own password (kept like its Kafka one, outside the
repository) and is a member of its service's group role `csods_<service>`, which holds the
table grants. What rows it reaches is decided by who logged in (`session_tenant()`, runtime
migration 0003), so no statement the session sends can widen it to another tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import asyncpg
import structlog

from services.access.credentials import CredentialStore
from services.access.grants import Deployment, principals
from services.catalogue import RUNNABLE
from services.runtime.migrations import ensure_group, login_role, quoted, role_name
from services.runtime.passwords import password_clause

log = structlog.get_logger(__name__)

# Whatever the group grants, and nothing of its own: no owner, superuser or RLS bypass rights.
LOGIN_ATTRIBUTES = "LOGIN INHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION"


T = TypeVar("T")


def provision_database(owner_dsn: str, deployment: Deployment, store: CredentialStore) -> int:
    """The login roles of a deployment's services; `store` is the Kafka passwords' store."""
    pairs = with_database(principals(deployment))
    return _now(provision_logins(owner_dsn, pairs, store.database()))


def deprovision_database(owner_dsn: str, tenants: Iterable[str], store: CredentialStore) -> int:
    """Drop the tenants' login roles; their rows stay, for the retention rules to judge."""
    return _now(drop_logins(owner_dsn, tenants, store.database()))


def _now(work: Coroutine[Any, Any, T]) -> T:
    """Run to the end, from plain code or from inside a running event loop alike."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def with_database(names: Iterable[str]) -> list[tuple[str, str]]:
    """The (tenant, service) pairs among broker principals that keep rows in PostgreSQL."""
    pairs = []
    for name in names:
        tenant, _, service = name.partition(".")
        if service in RUNNABLE:
            pairs.append((tenant, service.replace("-", "_")))
    return pairs


async def provision_logins(
    owner_dsn: str, pairs: Iterable[tuple[str, str]], store: CredentialStore
) -> int:
    """Make (or re-password) the login role of each (tenant, service); return how many."""
    conn = await asyncpg.connect(owner_dsn)
    made = 0
    try:
        for tenant, service in pairs:
            role, group = login_role(tenant, service), role_name(service)
            await ensure_group(conn, group)
            secret = password_clause(store.password(role))
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            try:
                if not exists:
                    await conn.execute(f"CREATE ROLE {quoted(role)} {LOGIN_ATTRIBUTES} {secret}")
            except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                exists = True  # made at the same moment by another provisioning
            if exists:
                # Only a superuser may even restate the others: they were set at creation.
                await conn.execute(f"ALTER ROLE {quoted(role)} LOGIN INHERIT {secret}")
            await conn.execute(f"GRANT {quoted(group)} TO {quoted(role)}")
            made += 1
    finally:
        await conn.close()
    return made


async def drop_logins(owner_dsn: str, tenants: Iterable[str], store: CredentialStore) -> int:
    """Drop every login role of the tenants and forget their passwords; their rows stay."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        roles = await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE rolcanlogin"
            " AND split_part(rolname, '.', 1) = ANY($1::text[]) AND rolname LIKE '%.%'",
            sorted(set(tenants)),
        )
        for row in roles:
            await conn.execute(f"DROP ROLE IF EXISTS {quoted(row['rolname'])}")
            store.forget(row["rolname"])
    finally:
        await conn.close()
    return len(roles)
