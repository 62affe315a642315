"""The checks repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.runtime.connection import Connection


async def add_request(
    conn: Connection,
    *,
    tenant: str,
    case_reference: str,
    stage: str,
    parties: Sequence[str],
    requested_at: datetime,
) -> bool:
    """Record a check request; False when that case's stage was already asked for."""
    row = await conn.fetchval(
        "INSERT INTO check_requests (tenant, case_reference, stage, parties, requested_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
        tenant,
        case_reference,
        stage,
        list(parties),
        requested_at,
    )
    return row is not None


async def complete_request(
    conn: Connection,
    *,
    tenant: str,
    case_reference: str,
    stage: str,
    completed_at: datetime,
    systems_checked: Sequence[str],
) -> None:
    """Record that a case's stage checks are complete."""
    await conn.execute(
        "UPDATE check_requests SET completed_at = $4, systems_checked = $5"
        " WHERE tenant = $1 AND case_reference = $2 AND stage = $3",
        tenant,
        case_reference,
        stage,
        completed_at,
        list(systems_checked),
    )
