"""The outbox: what a transaction emits is written beside its state change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.runtime.connection import Connection


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    """A Kafka record waiting to be published."""

    topic: str
    key: bytes | None
    headers: Sequence[tuple[str, bytes]]
    value: bytes


def channel(schema: str) -> str:
    """The NOTIFY channel that wakes a schema's relay."""
    return f"csods_outbox_{schema}"


async def add(
    conn: Connection, *, tenant: str, schema: str, records: Sequence[OutgoingRecord]
) -> None:
    """Write records to the outbox and wake the relay when the transaction commits."""
    if not records:
        return
    await conn.executemany(
        "INSERT INTO outbox (tenant, topic, key, header_names, header_values, payload)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (
                tenant,
                record.topic,
                record.key,
                [name for name, _ in record.headers],
                [value for _, value in record.headers],
                record.value,
            )
            for record in records
        ],
    )
    # Delivered only on commit, and folded into one notification per transaction.
    await conn.execute("SELECT pg_notify($1, '')", channel(schema))
