"""Numbered SQL migrations applied at start, and the service's own non-owner role."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import asyncpg
import structlog

from services.runtime.passwords import passfile_password, password_clause

log = structlog.get_logger(__name__)

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"
# One lock for every service: migrations of different schemas are quick and rare.
_LOCK_KEY = 0x0C50D5


def role_name(service: str) -> str:
    """The PostgreSQL role a service runs its transactions as."""
    return f"csods_{service}"


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


async def migrate(
    *,
    owner_dsn: str,
    schema: str,
    role: str,
    migrations: Sequence[tuple[str, Path]],
    password: str | None = None,
) -> list[str]:
    """Create the schema and role, apply pending migrations, grant the role; return applied.

    The role's password is `password`, or else its line in the passfile the owner's DSN names
    (the local stack's); with neither, the role's password is left as it is.
    """
    password = password or passfile_password(owner_dsn, role)
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await _ensure_role(conn, role, password)
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
            await conn.execute(f"SET search_path TO {_ident(schema)}")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            applied = await _apply_pending(conn, migrations)
            await _grant(conn, schema, role)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    if applied:
        log.info("migrations_applied", schema=schema, migrations=applied)
    return applied


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str | None) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    secret = f" {password_clause(password)}" if password else ""
    if not exists:
        # Not an owner, not a superuser, cannot bypass row-level security (DESIGN.md section 5).
        attributes = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        try:
            await conn.execute(f"CREATE ROLE {_ident(role)} {attributes}{secret}")
        except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            pass  # roles are cluster-wide: another database's service may have created it
        else:
            return
    if not password:
        return
    # Set every time: a role made before it had a password (or with another) gets this one.
    try:
        await conn.execute(f"ALTER ROLE {_ident(role)}{secret}")
    except asyncpg.InternalServerError as error:
        # Another database's migration set it at the same moment, from the same source.
        if "concurrently" not in str(error):
            raise


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


async def _grant(conn: asyncpg.Connection, schema: str, role: str) -> None:
    s, r = _ident(schema), _ident(role)
    await conn.execute(f"GRANT USAGE ON SCHEMA {s} TO {r}")
    await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}")
    await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}")
    # The migration history is the owner's business only.
    await conn.execute(f"REVOKE ALL ON {s}.schema_migrations FROM {r}")
    # The audit log is append-only for the service: no UPDATE, no DELETE (DESIGN.md section 5).
    await conn.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {s}.audit_log FROM {r}")
