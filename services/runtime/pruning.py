"""Housekeeping: inbox claims and sent outbox rows are deleted once nothing needs them.

A sent outbox row is on the broker already; it is kept a short while to look into, then
deleted, and its payload with it. An inbox claim is what makes a redelivered record a
duplicate, so it is kept for as long as any record it could stand for may still be read:
the longest retention of the topics the service reads, plus the time the broker may keep a
record past its retention (a segment is deleted only once its newest record is old), plus a
day. A round deletes in chunks, each its own short transaction, so it never holds locks long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from schemas.catalogue import AGENCY_INBOX, consumed_by
from services.runtime.unit_of_work import Database

log = structlog.get_logger(__name__)

CHUNK = 5000
# Kafka rolls a segment weekly by default: a record may outlive its retention by that much.
SEGMENT_ROLL = timedelta(days=7)
MARGIN = timedelta(days=1)


def claim_horizon(service: str) -> timedelta:
    """How long the service's inbox claims are kept: past the life of what it reads."""
    specs = consumed_by(service) or (AGENCY_INBOX,)  # an agency system reads its inboxes
    return max(spec.retention for spec in specs) + SEGMENT_ROLL + MARGIN


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one round deleted."""

    claims: int
    sent: int


async def prune(
    database: Database,
    *,
    tenant: str,
    consumer: str,
    now: datetime,
    claims_before: datetime,
    sent_before: datetime,
) -> Pruned:
    """Delete the tenant's claims by `consumer` received before `claims_before`, and its
    outbox rows sent before `sent_before`; never a row not yet sent."""
    claims = await _in_chunks(
        database,
        tenant,
        "DELETE FROM inbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM inbox WHERE tenant = $1"
        " AND consumer = $2 AND received_at < $3 LIMIT $4))",
        consumer,
        claims_before,
    )
    sent = await _in_chunks(
        database,
        tenant,
        "DELETE FROM outbox WHERE id = ANY(ARRAY(SELECT id FROM outbox WHERE tenant = $1"
        " AND sent_at < $2 ORDER BY id LIMIT $3))",
        sent_before,
    )
    if claims or sent:
        log.info("pruned", claims=claims, sent=sent, at=now.isoformat())
    return Pruned(claims, sent)


async def _in_chunks(database: Database, tenant: str, sql: str, *args: object) -> int:
    deleted = 0
    while True:
        async with database.transaction(tenant) as tx:
            status = await tx.conn.execute(sql, tenant, *args, CHUNK)
        count = int(status.rsplit(" ", 1)[-1])
        deleted += count
        if count < CHUNK:
            return deleted
