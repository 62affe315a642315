"""The disclosure repository."""

from __future__ import annotations

from datetime import datetime

from services.disclosure.domain import Closure
from services.runtime.connection import Connection


async def add_route(
    conn: Connection,
    *,
    tenant: str,
    case_reference: str,
    route: str,
    received_at: datetime,
) -> bool:
    """Record the route a case arrived with; False when it had arrived before."""
    row = await conn.fetchval(
        "INSERT INTO outcomes (tenant, case_reference, route, received_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
        tenant,
        case_reference,
        route,
        received_at,
    )
    return row is not None


async def close_case(
    conn: Connection,
    *,
    tenant: str,
    case_reference: str,
    closure: Closure,
    closed_at: datetime,
) -> None:
    """Record a case's outcome and closure."""
    await conn.execute(
        "UPDATE outcomes SET outcome = $3, final_intelligence_report = $4, closed_at = $5"
        " WHERE tenant = $1 AND case_reference = $2",
        tenant,
        case_reference,
        closure.outcome.value,
        closure.final_intelligence_report,
        closed_at,
    )
