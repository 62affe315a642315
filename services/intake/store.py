"""The intake repository: SQL over the intake schema, always within one tenant's transaction."""

from __future__ import annotations

from datetime import datetime

from services.intake.domain import Deadlines
from services.runtime.connection import Connection


async def next_case_number(conn: Connection, *, tenant: str, year: int) -> int:
    """Allocate the next case number of a force's year."""
    number = await conn.fetchval(
        "INSERT INTO case_numbers (tenant, year, last_number) VALUES ($1, $2, 1)"
        " ON CONFLICT (tenant, year) DO UPDATE SET last_number = case_numbers.last_number + 1"
        " RETURNING last_number",
        tenant,
        year,
    )
    return int(number)


async def case_for_submission(
    conn: Connection, *, tenant: str, submission_id: str
) -> str | None:
    """The case already registered for a submission, if any."""
    reference = await conn.fetchval(
        "SELECT case_reference FROM enquiries WHERE tenant = $1 AND submission_id = $2",
        tenant,
        submission_id,
    )
    return None if reference is None else str(reference)


async def add_enquiry(
    conn: Connection,
    *,
    tenant: str,
    case_reference: str,
    submission_id: str,
    channel: str,
    scheme_profile: str,
    received_at: datetime,
    registered_at: datetime,
    due: Deadlines,
) -> None:
    """Record a registered enquiry."""
    await conn.execute(
        "INSERT INTO enquiries (tenant, case_reference, submission_id, channel, scheme_profile,"
        " received_at, registered_at, stage1_due_at, risk_assessment_due_at, closure_due_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        tenant,
        case_reference,
        submission_id,
        channel,
        scheme_profile,
        received_at,
        registered_at,
        due.stage1_due_at,
        due.risk_assessment_due_at,
        due.closure_due_at,
    )
