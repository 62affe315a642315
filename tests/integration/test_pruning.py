"""Housekeeping on the real database: old claims and sent outbox rows go, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from schemas.catalogue import INBOX_RETENTION, STREAM_RETENTION
from services.runtime import pruning
from services.runtime.outbox import OutgoingRecord
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, open_database
from tests.support.schemas import runtime_schema

SERVICE = "prunetest"
NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
async def database(settings_for: Callable[..., Settings], tenant: str) -> AsyncIterator[Database]:
    settings = settings_for(tenant)
    await runtime_schema(settings, SERVICE)
    db = await open_database(dsn=app_dsn(settings, SERVICE), schema=SERVICE, size=2)
    yield db
    await db.pool.close()


async def claims(database: Database, tenant: str) -> set[str]:
    async with database.transaction(tenant) as tx:
        rows = await tx.conn.fetch("SELECT message_id FROM inbox")
    return {row["message_id"] for row in rows}


async def outbox(database: Database, tenant: str) -> dict[str, bool]:
    async with database.transaction(tenant) as tx:
        rows = await tx.conn.fetch("SELECT key, sent_at IS NOT NULL AS sent FROM outbox")
    return {row["key"].decode(): row["sent"] for row in rows}


async def test_claims_past_their_horizon_and_sent_rows_are_deleted_and_nothing_else(
    database: Database, tenant: str
) -> None:
    async with database.transaction(tenant) as tx:
        for message_id, age in (("old", 500), ("kept", 300), ("new", 1)):
            await tx.claim(consumer=SERVICE, source="/a/b", message_id=message_id)
            await tx.conn.execute(
                "UPDATE inbox SET received_at = $1 WHERE message_id = $2",
                NOW - timedelta(days=age),
                message_id,
            )
        await tx.claim(consumer="another", source="/a/b", message_id="others")
        await tx.conn.execute(
            "UPDATE inbox SET received_at = $1 WHERE message_id = 'others'",
            NOW - timedelta(days=900),
        )
        for key in ("sent-long-ago", "sent-just-now", "never-sent"):
            tx.emit_record(OutgoingRecord(topic="t", key=key.encode(), headers=[], value=b"{}"))
    async with database.transaction(tenant) as tx:
        await tx.conn.execute(
            "UPDATE outbox SET sent_at = CASE key WHEN 'sent-long-ago'::bytea THEN $1::timestamptz"
            " WHEN 'sent-just-now'::bytea THEN $2::timestamptz END",
            NOW - timedelta(days=2),
            NOW - timedelta(minutes=5),
        )

    pruned = await pruning.prune(
        database,
        tenant=tenant,
        consumer=SERVICE,
        now=NOW,
        claims_before=NOW - timedelta(days=463),
        sent_before=NOW - timedelta(days=1),
    )

    assert pruned == pruning.Pruned(claims=1, sent=1)
    # Another consumer's claims are its own to prune; a row not yet sent is never deleted.
    assert await claims(database, tenant) == {"kept", "new", "others"}
    assert await outbox(database, tenant) == {"sent-just-now": True, "never-sent": False}


async def test_a_large_backlog_is_deleted_in_chunks(database: Database, tenant: str) -> None:
    async with database.transaction(tenant) as tx:
        await tx.conn.execute(
            "INSERT INTO inbox (tenant, consumer, source, message_id, received_at)"
            " SELECT $1, $2, '/a/b', g::text, $3 FROM generate_series(1, $4) AS g",
            tenant,
            SERVICE,
            NOW - timedelta(days=600),
            pruning.CHUNK * 2 + 7,
        )
    pruned = await pruning.prune(
        database,
        tenant=tenant,
        consumer=SERVICE,
        now=NOW,
        claims_before=NOW - timedelta(days=463),
        sent_before=NOW - timedelta(days=1),
    )
    assert pruned.claims == pruning.CHUNK * 2 + 7
    assert await claims(database, tenant) == set()


def test_a_claim_outlives_every_record_it_could_stand_for() -> None:
    # A service reading the streams keeps its claims past their retention, and the week a
    # segment may outlive it; an agency system reads only its inboxes.
    assert pruning.claim_horizon("multiagency") > STREAM_RETENTION + timedelta(days=7)
    assert pruning.claim_horizon("pnc") > INBOX_RETENTION + timedelta(days=7)
    assert pruning.claim_horizon("pnc") < STREAM_RETENTION
