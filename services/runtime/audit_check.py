"""`csods audit verify`: each of a tenant's audit chains checked end to end, as the owner.

Every schema with an audit log (each service's and each stand-in's) holds one chain per
tenant. A chain is intact when every entry's hash recomputes, each names the one before it,
the numbers run from 1 without a gap, and the head row agrees with the last entry (so a
deleted tail is seen too).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.runtime.audit import broken_links, entries

_AUDITED = (
    "SELECT table_schema FROM information_schema.tables"
    " WHERE table_name = 'audit_log' ORDER BY table_schema"
)


@dataclass(frozen=True)
class ChainReport:
    """One schema's chain for one tenant."""

    schema: str
    entries: int
    first_broken: int | None  # the number of the first entry that does not verify

    @property
    def intact(self) -> bool:
        return self.first_broken is None


async def verify(owner_dsn: str, tenant: str) -> list[ChainReport]:
    """Check the tenant's chain in every audited schema of the database."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        schemas = [row["table_schema"] for row in await conn.fetch(_AUDITED)]
        return [await _check(conn, schema, tenant) for schema in schemas]
    finally:
        await conn.close()


async def _check(conn: asyncpg.Connection, schema: str, tenant: str) -> ChainReport:
    async with conn.transaction():
        # As the owner, above row-level security: every query names the tenant.
        await conn.execute("SELECT set_config('search_path', $1, true)", schema)
        chain = await entries(conn, tenant=tenant)
        head = await conn.fetchrow(
            "SELECT last_seq, last_hash FROM audit_heads WHERE tenant = $1", tenant
        )
    broken = broken_links(chain)
    if broken:
        return ChainReport(schema, len(chain), broken[0])
    kept = chain[-1].seq if chain else 0
    if head is not None and int(head["last_seq"]) > kept:
        return ChainReport(schema, len(chain), kept + 1)  # entries after `kept` are gone
    if head is not None and chain and head["last_hash"] != chain[-1].hash:
        return ChainReport(schema, len(chain), kept)
    return ChainReport(schema, len(chain), None)
