"""Numbered SQL migrations applied as the schema owner, and the wall around every table.

A schema's tables are reached through its service's group role (`csods_<service>`, no login)
by the login roles provisioned per tenant (`<tenant>.<service>`, services/access/database.py).
Every table carries its rows' tenant, and one row-level-security policy per table, kept here
and not in each migration, lets a session see and write only the rows of its login's tenant
(`session_tenant()`, runtime migration 0003). The owner, who migrates, is not under it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger(__name__)

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"
# One lock for every service: migrations of different schemas are quick and rare.
_LOCK_KEY = 0x0C50D5


TENANT_WALL = "tenant_wall"


def role_name(service: str) -> str:
    """The group role holding a service's grants; its tenants' login roles are its members."""
    return f"csods_{service}"


def login_role(tenant: str, service: str) -> str:
    """The role one tenant's instance of a service logs in as: its Kafka principal's name."""
    return f"{tenant}.{service.replace('_', '-')}"


def quoted(name: str) -> str:
    """A role, schema or table name as SQL quotes it; refused unless plain (a-z, 0-9, _ . -)."""
    if not name.replace("_", "").replace(".", "").replace("-", "").isalnum() or not (
        name[0].isalpha()
    ):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


async def migrate(
    *,
    owner_dsn: str,
    schema: str,
    role: str,
    migrations: Sequence[tuple[str, Path]],
) -> list[str]:
    """Create the schema and group role, apply pending migrations, wall every table, grant
    the role; return what was applied. A table is granted only once it is walled."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await ensure_group(conn, role)
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(schema)}")
            await conn.execute(f"SET search_path TO {quoted(schema)}")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            applied = await _apply_pending(conn, migrations)
            await _wall(conn, schema)
            await _grant(conn, schema, role)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    if applied:
        log.info("migrations_applied", schema=schema, migrations=applied)
    return applied


async def ensure_group(conn: asyncpg.Connection, role: str) -> None:
    """Make a service's group role, which nobody logs in as (an older login one loses it)."""
    # Not an owner, not a superuser, cannot bypass row-level security (architecture §5).
    attributes = "NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
    can_login = await conn.fetchval("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", role)
    if can_login is None:
        # Roles are cluster-wide: another database's migration may make it at the same moment.
        with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            await conn.execute(f"CREATE ROLE {quoted(role)} {attributes}")
    elif can_login:
        await conn.execute(f"ALTER ROLE {quoted(role)} {attributes} PASSWORD NULL")


async def _apply_pending(
    conn: asyncpg.Connection, migrations: Sequence[tuple[str, Path]]
) -> list[str]:
    done = {row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations")}
    applied: list[str] = []
    for prefix, folder in migrations:
        for path in sorted(folder.glob("*.sql")):
            name = f"{prefix}:{path.name}"
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
    return applied


async def _wall(conn: asyncpg.Connection, schema: str) -> None:
    """One policy per table, the same everywhere: rows of the login's tenant, and no others."""
    tables = await conn.fetch(
        "SELECT c.relname AS name, c.relrowsecurity AS walled, c.relforcerowsecurity AS forced,"
        " EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
        "         AND a.attname = 'tenant' AND NOT a.attisdropped) AS has_tenant,"
        " array(SELECT p.polname || ':' || pg_get_expr(p.polqual, p.polrelid) || ':'"
        "       || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')"
        "       FROM pg_policy p WHERE p.polrelid = c.oid) AS policies"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> 'schema_migrations'",
        schema,
    )
    s = quoted(schema)
    for table in tables:
        if not table["has_tenant"]:
            raise MigrationError(f"{schema}.{table['name']}: every table carries a tenant column")
        if table["walled"] and not table["forced"] and _is_the_wall(table["policies"]):
            continue
        t = f"{s}.{quoted(table['name'])}"
        async with conn.transaction():
            for policy in table["policies"]:
                await conn.execute(f"DROP POLICY {quoted(policy.split(':', 1)[0])} ON {t}")
            await conn.execute(
                f"CREATE POLICY {TENANT_WALL} ON {t}"
                f" USING (tenant = (SELECT {s}.session_tenant()))"
                f" WITH CHECK (tenant = (SELECT {s}.session_tenant()))"
            )
            await conn.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
            # The owner migrates, seeds and checks the audit chain; it is not a tenant.
            await conn.execute(f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY")


def _is_the_wall(policies: Sequence[str]) -> bool:
    if len(policies) != 1:
        return False
    name, _, rules = policies[0].partition(":")
    return name == TENANT_WALL and rules.count("session_tenant()") == 2


class MigrationError(Exception):
    """A schema the wall cannot cover."""


async def _grant(conn: asyncpg.Connection, schema: str, role: str) -> None:
    s, r = quoted(schema), quoted(role)
    await conn.execute(f"GRANT USAGE ON SCHEMA {s} TO {r}")
    await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}")
    await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}")
    # The migration history is the owner's business only.
    await conn.execute(f"REVOKE ALL ON {s}.schema_migrations FROM {r}")
    # The audit log is append-only for the service: no UPDATE, no DELETE (architecture §5).
    await conn.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {s}.audit_log FROM {r}")
