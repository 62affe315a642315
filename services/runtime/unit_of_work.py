"""One transaction per message: inbox claim, state, outbox rows, all of one tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from schemas.base import Message
from schemas.envelope import Envelope
from services.runtime import audit, inbox, outbox
from services.runtime.connection import Connection
from services.runtime.outbox import OutgoingRecord
from services.runtime.tracing import TRACEPARENT, current_traceparent


@dataclass
class Transaction:
    """An open transaction of one tenant, collecting what it emits."""

    conn: Connection
    tenant: str
    schema: str
    _emitted: list[OutgoingRecord] = field(default_factory=list)

    async def claim(self, *, consumer: str, source: str, message_id: str) -> bool:
        """Claim a message for `consumer`; False when it was applied before."""
        return await inbox.claim(
            self.conn, tenant=self.tenant, consumer=consumer, source=source, message_id=message_id
        )

    def emit(self, topic: str, message: Message, envelope: Envelope) -> None:
        """Publish `message` when (and only if) this transaction commits."""
        if envelope.type != message.TYPE:
            raise ValueError(f"envelope type {envelope.type} does not match {message.TYPE}")
        headers = envelope.to_headers()
        traceparent = current_traceparent()
        if traceparent is not None:  # the consumer's span continues this one's trace
            headers.append((TRACEPARENT, traceparent))
        self.emit_record(
            OutgoingRecord(
                topic=topic,
                key=envelope.key,
                headers=headers,
                value=message.to_json(),
            )
        )

    async def audit(
        self,
        action: audit.Action,
        *,
        at: datetime,
        case_ref: str | None,
        reason: str,
        recipients: Sequence[str] = (),
        actor: str | None = None,
    ) -> audit.Entry:
        """Append to the tenant's audit chain in this transaction (architecture §5). The actor
        is the service whose transaction this is, unless named; a member of staff who asked is
        added to it."""
        return await audit.record(
            self.conn,
            tenant=self.tenant,
            at=at,
            actor=actor or self.schema,
            action=action,
            case_ref=case_ref,
            recipients=recipients,
            reason=reason,
        )

    def emit_record(self, record: OutgoingRecord) -> None:
        """Publish a raw record when this transaction commits."""
        self._emitted.append(record)

    async def flush(self) -> None:
        """Write what was emitted to the outbox (called before commit)."""
        await outbox.add(self.conn, tenant=self.tenant, schema=self.schema, records=self._emitted)
        self._emitted.clear()


@dataclass(frozen=True)
class Database:
    """A service's pool, connected as its own role with its schema on the search path."""

    pool: asyncpg.Pool
    schema: str

    @asynccontextmanager
    async def transaction(self, tenant: str) -> AsyncIterator[Transaction]:
        """Open a transaction of `tenant`: the pool's login role is that tenant's, and
        row-level security shows it that tenant's rows only, whatever `tenant` says."""
        async with self.pool.acquire() as conn, conn.transaction():
            tx = Transaction(conn=conn, tenant=tenant, schema=self.schema)
            yield tx
            await tx.flush()


async def open_database(*, dsn: str, schema: str, size: int) -> Database:
    """Create the pool of a service."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=size,
        server_settings={"search_path": schema, "application_name": f"csods-{schema}"},
    )
    return Database(pool=pool, schema=schema)
