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


async def claim_many(
    conn: Connection, *, tenant: str, consumer: str, ids: list[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Claim many messages (source, id) at once for `consumer`; return those not applied
    before. A message twice in `ids` is returned once."""
    if not ids:
        return set()
    rows = await conn.fetch(
        "INSERT INTO inbox (tenant, consumer, source, message_id)"
        " SELECT $1::text, $2::text, u.source, u.message_id"
        " FROM unnest($3::text[], $4::text[]) AS u(source, message_id)"
        " ON CONFLICT DO NOTHING RETURNING source, message_id",
        tenant,
        consumer,
        [source for source, _ in ids],
        [message_id for _, message_id in ids],
    )
    return {(row["source"], row["message_id"]) for row in rows}
