"""The repository of what a force asks of others: consultations and handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from schemas.multiagency import (
    AgencyKind,
    ConsultationAnsweredV1,
    ConsultationOutcome,
    HandoffAction,
    HandoffReturnedV1,
    LawfulBasis,
)
from services.multiagency.domain import (
    AgencyAnswer,
    ConsultationStatus,
    HandoffResult,
    HandoffStatus,
    LateEffect,
)
from services.runtime.connection import fetch_one
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True, slots=True)
class Consultation:
    """A consultation as stored."""

    consultation_id: UUID
    case_reference: str
    agency: str
    kind: AgencyKind
    basis: LawfulBasis
    status: ConsultationStatus
    respond_by: datetime
    request_message_id: UUID
    answer: AgencyAnswer
    answered_at: datetime | None = None  # when the agency sent its answer (6.3)
    received_at: datetime | None = None  # when this service read it
    effect: LateEffect | None = None  # what the answer did, by where the case stood


@dataclass(frozen=True, slots=True)
class Handoff:
    """One side of a handoff as stored."""

    handoff_id: UUID
    role: str
    case_reference: str
    owning_force: str
    responding_force: str
    owning_case_reference: str
    responding_case_reference: str | None
    party: str
    actions: tuple[HandoffAction, ...]
    status: HandoffStatus
    respond_by: datetime
    closure_due_at: datetime
    request_message_id: UUID
    result: HandoffResult
    lawful_basis: LawfulBasis | None = None  # the children's, as the owning force sent it
    necessity_reason: str | None = None
    case_closed_at: datetime | None = None  # responding side: the owning force closed it (6.3)


async def add_consultation(
    tx: Transaction,
    *,
    consultation_id: UUID,
    case_reference: str,
    agency: str,
    kind: AgencyKind,
    basis: LawfulBasis,
    necessity_reason: str | None,
    requested_at: datetime,
    respond_by: datetime,
    remind_at: datetime,
    request_message_id: UUID,
) -> None:
    """Record a consultation sent to an agency."""
    await tx.conn.execute(
        "INSERT INTO consultations (tenant, consultation_id, case_reference, agency,"
        " agency_kind, lawful_basis, necessity_reason, status, requested_at, respond_by,"
        " remind_at, request_message_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9, $10, $11)",
        tx.tenant,
        consultation_id,
        case_reference,
        agency,
        kind.value,
        basis.value,
        necessity_reason,
        requested_at,
        respond_by,
        remind_at,
        request_message_id,
    )


async def load_consultation(tx: Transaction, *, consultation_id: UUID) -> Consultation | None:
    """A consultation, locked for the transaction."""
    return await fetch_one(
        tx.conn,
        _consultation,
        "SELECT * FROM consultations WHERE tenant = $1 AND consultation_id = $2 FOR UPDATE",
        tx.tenant,
        consultation_id,
    )


async def consultations_of(tx: Transaction, *, case_reference: str) -> list[Consultation]:
    """A case's consultations, oldest first."""
    rows = await tx.conn.fetch(
        "SELECT * FROM consultations WHERE tenant = $1 AND case_reference = $2"
        " ORDER BY requested_at, agency",
        tx.tenant,
        case_reference,
    )
    return [_consultation(row) for row in rows]


async def record_answer(
    tx: Transaction,
    *,
    answer: ConsultationAnsweredV1,
    received_at: datetime,
    effect: LateEffect,
) -> None:
    """Record an agency's answer, including a refusal to share, and what it did (6.3)."""
    await tx.conn.execute(
        "UPDATE consultations SET status = 'answered', outcome = $3, information = $4,"
        " child_protection_plan = $5, supervised_by_probation = $6, mappa_level = $7,"
        " answered_at = $8, received_at = $9, answer_effect = $10"
        " WHERE tenant = $1 AND consultation_id = $2",
        tx.tenant,
        answer.consultation_id,
        answer.outcome.value,
        answer.information,
        answer.child_protection_plan,
        answer.supervised_by_probation,
        answer.mappa_level,
        answer.answered_at,
        received_at,
        effect.value,
    )


async def due_reminders(tx: Transaction, *, now: datetime) -> list[Consultation]:
    """Unanswered consultations whose reminder is due, claimed for this transaction."""
    rows = await tx.conn.fetch(
        "SELECT * FROM consultations WHERE tenant = $1 AND status = 'requested'"
        " AND reminded_at IS NULL AND remind_at <= $2 AND respond_by > $2"
        " ORDER BY remind_at FOR UPDATE SKIP LOCKED",
        tx.tenant,
        now,
    )
    return [_consultation(row) for row in rows]


async def due_overdue(tx: Transaction, *, now: datetime) -> list[Consultation]:
    """Unanswered consultations past their time, claimed for this transaction."""
    rows = await tx.conn.fetch(
        "SELECT * FROM consultations WHERE tenant = $1 AND status = 'requested'"
        " AND respond_by <= $2 ORDER BY respond_by FOR UPDATE SKIP LOCKED",
        tx.tenant,
        now,
    )
    return [_consultation(row) for row in rows]


async def mark_reminded(tx: Transaction, *, consultation_id: UUID, at: datetime) -> None:
    """Record that the agency was reminded."""
    await tx.conn.execute(
        "UPDATE consultations SET reminded_at = $3 WHERE tenant = $1 AND consultation_id = $2",
        tx.tenant,
        consultation_id,
        at,
    )


async def mark_overdue(tx: Transaction, *, consultation_id: UUID, at: datetime) -> None:
    """Record that the agency did not answer in time."""
    await tx.conn.execute(
        "UPDATE consultations SET status = 'overdue', overdue_at = $3"
        " WHERE tenant = $1 AND consultation_id = $2",
        tx.tenant,
        consultation_id,
        at,
    )


async def add_handoff(
    tx: Transaction,
    *,
    handoff_id: UUID,
    role: str,
    case_reference: str,
    owning_force: str,
    responding_force: str,
    owning_case_reference: str,
    party: str,
    actions: tuple[HandoffAction, ...],
    status: HandoffStatus,
    requested_at: datetime,
    respond_by: datetime,
    closure_due_at: datetime,
    request_message_id: UUID,
    responding_case_reference: str | None = None,
    lawful_basis: LawfulBasis | None = None,
    necessity_reason: str | None = None,
) -> bool:
    """Record one side of a handoff; False when this side had it already."""
    row = await tx.conn.fetchval(
        "INSERT INTO handoffs (tenant, handoff_id, role, case_reference, owning_force,"
        " responding_force, owning_case_reference, responding_case_reference, party, actions,"
        " status, requested_at, respond_by, closure_due_at, request_message_id, lawful_basis,"
        " necessity_reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        tx.tenant,
        handoff_id,
        role,
        case_reference,
        owning_force,
        responding_force,
        owning_case_reference,
        responding_case_reference,
        party,
        [action.value for action in actions],
        status.value,
        requested_at,
        respond_by,
        closure_due_at,
        request_message_id,
        None if lawful_basis is None else lawful_basis.value,
        necessity_reason,
    )
    return row is not None


async def load_handoff(tx: Transaction, *, handoff_id: UUID) -> Handoff | None:
    """One side of a handoff, locked for the transaction."""
    return await fetch_one(
        tx.conn,
        _handoff,
        "SELECT * FROM handoffs WHERE tenant = $1 AND handoff_id = $2 FOR UPDATE",
        tx.tenant,
        handoff_id,
    )


async def handoffs_of(tx: Transaction, *, case_reference: str) -> list[Handoff]:
    """The handoffs a case made (or answers), oldest first."""
    rows = await tx.conn.fetch(
        "SELECT * FROM handoffs WHERE tenant = $1 AND case_reference = $2 ORDER BY requested_at",
        tx.tenant,
        case_reference,
    )
    return [_handoff(row) for row in rows]


async def settle_handoff(
    tx: Transaction,
    *,
    handoff_id: UUID,
    status: HandoffStatus,
    at: datetime,
    responding_case_reference: str | None = None,
    declined_reason: str | None = None,
    returned: HandoffReturnedV1 | None = None,
) -> None:
    """Move a handoff on: accepted, declined, returned or overdue."""
    await tx.conn.execute(
        "UPDATE handoffs SET status = $3,"
        " responding_case_reference = coalesce($4, responding_case_reference),"
        " declined_reason = coalesce($5, declined_reason),"
        " returned = coalesce($6::jsonb, returned),"
        " settled_at = CASE WHEN $3 = 'accepted' THEN settled_at ELSE $7 END"
        " WHERE tenant = $1 AND handoff_id = $2",
        tx.tenant,
        handoff_id,
        status.value,
        responding_case_reference,
        declined_reason,
        None if returned is None else returned.model_dump_json(),
        at,
    )


async def close_handoff(tx: Transaction, *, handoff_id: UUID, at: datetime) -> None:
    """The responding side learns that the owning force closed the case (6.3)."""
    await tx.conn.execute(
        "UPDATE handoffs SET case_closed_at = $3 WHERE tenant = $1 AND handoff_id = $2",
        tx.tenant,
        handoff_id,
        at,
    )


async def due_handoffs(tx: Transaction, *, now: datetime) -> list[Handoff]:
    """Handoffs this force owns whose findings are late, claimed for this transaction."""
    rows = await tx.conn.fetch(
        "SELECT * FROM handoffs WHERE tenant = $1 AND role = 'owning'"
        " AND status IN ('requested', 'accepted') AND respond_by <= $2"
        " ORDER BY respond_by FOR UPDATE SKIP LOCKED",
        tx.tenant,
        now,
    )
    return [_handoff(row) for row in rows]


def _consultation(row: Any) -> Consultation:
    status = ConsultationStatus(row["status"])
    kind = AgencyKind(row["agency_kind"])
    return Consultation(
        consultation_id=row["consultation_id"],
        case_reference=row["case_reference"],
        agency=row["agency"],
        kind=kind,
        basis=LawfulBasis(row["lawful_basis"]),
        status=status,
        respond_by=row["respond_by"],
        request_message_id=row["request_message_id"],
        answer=AgencyAnswer(
            agency=row["agency"],
            kind=kind,
            status=status,
            outcome=ConsultationOutcome(row["outcome"]) if row["outcome"] else None,
            child_protection_plan=row["child_protection_plan"],
            supervised_by_probation=row["supervised_by_probation"],
            mappa_level=row["mappa_level"],
        ),
        answered_at=row["answered_at"],
        received_at=row["received_at"],
        effect=LateEffect(row["answer_effect"]) if row["answer_effect"] else None,
    )


def _handoff(row: Any) -> Handoff:
    status = HandoffStatus(row["status"])
    returned = HandoffReturnedV1.model_validate_json(row["returned"]) if row["returned"] else None
    return Handoff(
        handoff_id=row["handoff_id"],
        role=row["role"],
        case_reference=row["case_reference"],
        owning_force=row["owning_force"],
        responding_force=row["responding_force"],
        owning_case_reference=row["owning_case_reference"],
        responding_case_reference=row["responding_case_reference"],
        party=row["party"],
        actions=tuple(HandoffAction(action) for action in row["actions"]),
        status=status,
        respond_by=row["respond_by"],
        closure_due_at=row["closure_due_at"],
        request_message_id=row["request_message_id"],
        result=HandoffResult(
            responding_force=row["responding_force"],
            party=row["party"],
            status=status,
            route=returned.route if returned else None,
            forum=returned.forum if returned else None,
            recommend_disclosure=returned.recommend_disclosure if returned else None,
            findings=returned.findings if returned else (),
            child_protection_plan=returned.child_protection_plan if returned else None,
        ),
        lawful_basis=LawfulBasis(row["lawful_basis"]) if row["lawful_basis"] else None,
        necessity_reason=row["necessity_reason"],
        case_closed_at=row["case_closed_at"],
    )
