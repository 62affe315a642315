"""The intake repository: SQL over the intake schema, always within one tenant's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.intake.domain import Deadlines
from services.runtime.connection import fetch_one
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class EnquiryRow:
    """A stored enquiry."""

    case_reference: str
    status: str
    channel: str
    scheme_profile: str
    received_at: datetime
    registered_at: datetime
    stage1_due_at: datetime | None
    face_to_face_due_at: datetime | None
    risk_assessment_due_at: datetime | None
    closure_due_at: datetime | None
    correlation_id: UUID | None
    last_event_id: UUID | None
    identity_verified: bool | None
    application_recorded_at: datetime | None
    pack_given_at: datetime | None
    pack_format: str | None
    escalations: int


_COLUMNS = ", ".join(EnquiryRow.__slots__)


def _enquiry(row: asyncpg.Record) -> EnquiryRow:
    return EnquiryRow(**dict(row))


async def case_for_submission(tx: Transaction, *, submission_id: str) -> EnquiryRow | None:
    """The case already recorded for a submission, if any."""
    return await fetch_one(
        tx.conn,
        _enquiry,
        f"SELECT {_COLUMNS} FROM enquiries WHERE tenant = $1 AND submission_id = $2",  # noqa: S608
        tx.tenant,
        submission_id,
    )


async def get_enquiry(
    tx: Transaction, *, case_reference: str, for_update: bool = False
) -> EnquiryRow | None:
    """One enquiry of the tenant, or None (another force's case is simply not there)."""
    lock = " FOR UPDATE" if for_update else ""
    return await fetch_one(
        tx.conn,
        _enquiry,
        f"SELECT {_COLUMNS} FROM enquiries WHERE tenant = $1 AND case_reference = $2{lock}",  # noqa: S608
        tx.tenant,
        case_reference,
    )


async def add_enquiry(
    tx: Transaction,
    *,
    case_reference: str,
    submission_id: str | None,
    status: str,
    channel: str,
    scheme_profile: str,
    received_at: datetime,
    registered_at: datetime,
    due: Deadlines | None,
    correlation_id: UUID,
    last_event_id: UUID,
    initial_contact: dict[str, Any],
    escalations: int,
) -> None:
    """Record an initial contact, whatever its route."""
    await tx.conn.execute(
        "INSERT INTO enquiries (tenant, case_reference, submission_id, status, channel,"
        " scheme_profile, received_at, registered_at, stage1_due_at, face_to_face_due_at,"
        " risk_assessment_due_at, closure_due_at, correlation_id, last_event_id,"
        " initial_contact, escalations)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        tx.tenant,
        case_reference,
        submission_id,
        status,
        channel,
        scheme_profile,
        received_at,
        registered_at,
        due and due.stage1_due_at,
        due and due.face_to_face_due_at,
        due and due.risk_assessment_due_at,
        due and due.closure_due_at,
        correlation_id,
        last_event_id,
        json.dumps(initial_contact),
        escalations,
    )


async def record_application(
    tx: Transaction,
    *,
    case_reference: str,
    status: str,
    application: dict[str, Any],
    identity_verified: bool,
    recorded_at: datetime,
    last_event_id: UUID,
    escalations: int,
) -> None:
    """Record the face-to-face application (or its turn into intelligence)."""
    await tx.conn.execute(
        "UPDATE enquiries SET status = $3, application = $4, identity_verified = $5,"
        " application_recorded_at = $6, last_event_id = $7, escalations = escalations + $8"
        " WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
        status,
        json.dumps(application),
        identity_verified,
        recorded_at,
        last_event_id,
        escalations,
    )


async def record_pack(
    tx: Transaction,
    *,
    case_reference: str,
    given_at: datetime,
    pack_format: str,
    last_event_id: UUID,
) -> None:
    """Record that the information pack was given."""
    await tx.conn.execute(
        "UPDATE enquiries SET status = 'information-pack-given', pack_given_at = $3,"
        " pack_format = $4, last_event_id = $5 WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
        given_at,
        pack_format,
        last_event_id,
    )


async def recorded_particulars(
    tx: Transaction, *, case_reference: str | None = None
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Each case's initial contact and application as recorded (JSON), one case or all."""
    rows = await tx.conn.fetch(
        "SELECT case_reference, initial_contact, application FROM enquiries"
        " WHERE tenant = $1 AND ($2::text IS NULL OR case_reference = $2)"
        " ORDER BY registered_at DESC",
        tx.tenant,
        case_reference,
    )
    return [
        (row["case_reference"], _json(row["initial_contact"]), _json(row["application"]))
        for row in rows
    ]


def _json(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    loaded = json.loads(value) if isinstance(value, str) else value
    assert isinstance(loaded, dict)
    return loaded
