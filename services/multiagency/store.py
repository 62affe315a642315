"""The multi-agency repository."""

from __future__ import annotations

from datetime import datetime

from services.multiagency.domain import Assessment
from services.runtime.connection import Connection


async def add_assessment(
    conn: Connection,
    *,
    tenant: str,
    case_reference: str,
    assessment: Assessment,
    decided_at: datetime,
) -> bool:
    """Record a case's assessment; False when the case was already assessed."""
    row = await conn.fetchval(
        "INSERT INTO assessments (tenant, case_reference, forum, route, rationale, decided_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
        tenant,
        case_reference,
        assessment.forum.value,
        assessment.route.value,
        assessment.rationale,
        decided_at,
    )
    return row is not None
