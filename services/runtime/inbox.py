"""The inbox: a message's id is claimed in the same transaction as its effect."""

from __future__ import annotations

from services.runtime.connection import Connection


async def claim(
    conn: Connection, *, tenant: str, consumer: str, source: str, message_id: str
) -> bool:
    """Record that `consumer` applied this message; False when it already had."""
    row = await conn.fetchval(
        "INSERT INTO inbox (tenant, consumer, source, message_id) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        tenant,
        consumer,
        source,
        message_id,
    )
    return row is not None
