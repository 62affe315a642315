"""The multi-agency repository: cases, risk assessments and forums, within one force's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from schemas.checks import CheckResult, Concern
from schemas.multiagency import AgencyPosition, Attendee, DecisionRoute, Forum
from schemas.parties import Address, Child, SubjectParticulars
from schemas.stages import Stage
from services.multiagency.domain import (
    Assessment,
    Conclusion,
    LateAnswer,
    LateEffect,
    Schedule,
    SignOff,
)
from services.runtime.connection import fetch_one
from services.runtime.unit_of_work import Transaction

_RESULTS = TypeAdapter(tuple[CheckResult, ...])
_CHILDREN = TypeAdapter(tuple[Child, ...])
_ATTENDANCE = TypeAdapter(tuple[Attendee, ...])
_POSITIONS = TypeAdapter(tuple[AgencyPosition, ...])

OWNING = "owning"
RESPONDING = "responding"


class CaseState:
    """Where a case stands in this service (plain strings in the database)."""

    OPEN = "open"  # gathering the enquiry, the application and the checks
    ASSESSING = "assessing"  # consultations and handoffs under way
    AWAITING_SIGN_OFF = "awaiting-sign-off"  # risk assessment proposed; an officer signs (5.4.2)
    ASSESSED = "assessed"  # risk assessment completed; forum to be scheduled or decided
    FORUM_SCHEDULED = "forum-scheduled"
    DECIDED = "decided"  # owning force: the forum's conclusion went to disclosure
    RETURNED = "returned"  # responding force: the findings went back to the owning force


@dataclass(frozen=True, slots=True)
class Case:
    """A case as this force's multi-agency service holds it."""

    case_reference: str
    role: str
    correlation_id: UUID
    state: str
    consent_to_share: bool | None
    behaviour_of_concern: bool
    subject: SubjectParticulars | None
    children: tuple[Child, ...]
    enquiry_at: datetime | None
    application_at: datetime | None
    risk_assessment_due_at: datetime | None
    closure_due_at: datetime | None
    checks_stage: Stage | None
    checks_results: tuple[CheckResult, ...]
    checks_completed_at: datetime | None
    checks_requested_at: datetime | None
    assessment_started_at: datetime | None
    owning_force: str | None
    owning_case_reference: str | None
    handoff_id: UUID | None
    respond_by: datetime | None
    applicant_home: Address | None = None
    escalated_from_checks_at: datetime | None = None

    @property
    def responding(self) -> bool:
        """Whether this force responds to another force's handoff for this case (4.10)."""
        return self.role == RESPONDING


@dataclass(frozen=True, slots=True)
class ForumRecord:
    """A case's forum: scheduled, and once it has met, its conclusion."""

    forum_id: UUID
    forum: Forum
    scheduled_for: datetime
    urgent: bool
    decided_at: datetime | None
    route: DecisionRoute | None


@dataclass(frozen=True, slots=True)
class LateRecord:
    """A late answer as kept against a case: when it came, and what it did there."""

    answer: LateAnswer
    answered_at: datetime
    checks_completed_at: datetime
    recorded_at: datetime
    effect: LateEffect


_CASE_COLUMNS = frozenset(
    {
        "state",
        "consent_to_share",
        "behaviour_of_concern",
        "subject",
        "children",
        "enquiry_at",
        "application_at",
        "risk_assessment_due_at",
        "closure_due_at",
        "checks_stage",
        "checks_results",
        "checks_completed_at",
        "checks_requested_at",
        "assessment_started_at",
        "applicant_home",
        "escalated_from_checks_at",
    }
)
_JSON_COLUMNS = frozenset({"subject", "children", "checks_results", "applicant_home"})
_SERIALISERS: dict[str, Any] = {
    "subject": lambda value: value.model_dump_json(),
    "applicant_home": lambda value: value.model_dump_json(),
    "children": lambda value: _CHILDREN.dump_json(tuple(value)).decode(),
    "checks_results": lambda value: _RESULTS.dump_json(tuple(value)).decode(),
    "checks_stage": lambda value: Stage(value).value,
}


async def open_case(
    tx: Transaction,
    *,
    case_reference: str,
    correlation_id: UUID,
    role: str = OWNING,
    owning_force: str | None = None,
    owning_case_reference: str | None = None,
    handoff_id: UUID | None = None,
    respond_by: datetime | None = None,
    closure_due_at: datetime | None = None,
) -> bool:
    """Open a case unless it is open already; True when it was opened now."""
    row = await tx.conn.fetchval(
        "INSERT INTO cases (tenant, case_reference, role, correlation_id, owning_force,"
        " owning_case_reference, handoff_id, respond_by, closure_due_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING 1",
        tx.tenant,
        case_reference,
        role,
        correlation_id,
        owning_force,
        owning_case_reference,
        handoff_id,
        respond_by,
        closure_due_at,
    )
    return row is not None


async def load_case(tx: Transaction, *, case_reference: str) -> Case | None:
    """A case, locked for the rest of the transaction so its steps never interleave."""
    return await fetch_one(
        tx.conn,
        _case,
        "SELECT * FROM cases WHERE tenant = $1 AND case_reference = $2 FOR UPDATE",
        tx.tenant,
        case_reference,
    )


async def update_case(tx: Transaction, *, case_reference: str, **changes: Any) -> None:
    """Change some of a case's columns."""
    unknown = set(changes) - _CASE_COLUMNS
    if unknown:
        raise ValueError(f"not a case column: {', '.join(sorted(unknown))}")
    names = list(changes)
    assignments = ", ".join(
        f"{name} = ${index}" + ("::jsonb" if name in _JSON_COLUMNS else "")
        for index, name in enumerate(names, start=3)
    )
    await tx.conn.execute(
        f"UPDATE cases SET {assignments} WHERE tenant = $1 AND case_reference = $2",  # noqa: S608 - names are whitelisted
        tx.tenant,
        case_reference,
        *(_column_value(name, changes[name]) for name in names),
    )


async def add_assessment(
    tx: Transaction,
    *,
    case_reference: str,
    assessment: Assessment,
    decided_at: datetime,
) -> bool:
    """Record a case's completed risk assessment; False when it was recorded before."""
    row = await tx.conn.fetchval(
        "INSERT INTO assessments (tenant, case_reference, forum, route, rationale, decided_at,"
        " categories, meets_mappa, decision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        tx.tenant,
        case_reference,
        assessment.forum.value,
        assessment.route.value,
        assessment.rationale,
        decided_at,
        [category.value for category in assessment.categories],
        assessment.meets_mappa,
        assessment.decision.value,
    )
    return row is not None


async def load_assessment(tx: Transaction, *, case_reference: str) -> dict[str, Any] | None:
    """A case's risk assessment as stored."""
    return await fetch_one(
        tx.conn,
        dict,
        "SELECT forum, route, categories, meets_mappa, decision, rationale, decided_at,"
        " revised_at, proposed_route, signed_off_at, signed_off_by FROM assessments"
        " WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
    )


async def revise_assessment(
    tx: Transaction,
    *,
    case_reference: str,
    assessment: Assessment,
    revised_at: datetime,
) -> None:
    """Revise what a forum not yet decided weighs: route, concerns, MAPPA, forum, rationale."""
    await tx.conn.execute(
        "UPDATE assessments SET route = $3, categories = $4, meets_mappa = $5, rationale = $6,"
        " revised_at = $7, forum = $8 WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
        assessment.route.value,
        [category.value for category in assessment.categories],
        assessment.meets_mappa,
        assessment.rationale,
        revised_at,
        assessment.forum.value,
    )


async def sign_off_assessment(
    tx: Transaction,
    *,
    case_reference: str,
    assessment: Assessment,
    signed: SignOff,
    signed_by: str,
    signed_at: datetime,
) -> None:
    """Record the officer's sign-off: their categorisation, rationale and Appendix D answers,
    with the system's proposal kept beside it (5.4.2, 5.4.7)."""
    await tx.conn.execute(
        "UPDATE assessments SET proposed_route = route, route = $3, categories = $4,"
        " rationale = $5, decision = $6, signed_off_at = $7, signed_off_by = $8,"
        " appendix_d = $9::jsonb WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
        assessment.route.value,
        [category.value for category in assessment.categories],
        assessment.rationale,
        assessment.decision.value,
        signed_at,
        signed_by,
        json.dumps({question.value: text for question, text in signed.answers.items()}),
    )


async def add_late_answer(
    tx: Transaction,
    *,
    case_reference: str,
    late: LateRecord,
) -> bool:
    """Keep a late answer against its case; False when that system's answer was kept before."""
    answer = late.answer
    row = await tx.conn.fetchval(
        "INSERT INTO late_answers (tenant, case_reference, stage, system, party, result,"
        " concerns, answered_at, checks_completed_at, recorded_at, effect)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        tx.tenant,
        case_reference,
        answer.stage.value,
        answer.result.system.value,
        answer.result.party,
        answer.result.model_dump_json(),
        [concern.value for concern in answer.concerns],
        late.answered_at,
        late.checks_completed_at,
        late.recorded_at,
        late.effect.value,
    )
    return row is not None


async def late_answers_of(tx: Transaction, *, case_reference: str) -> list[LateRecord]:
    """A case's late answers, in the order they came."""
    rows = await tx.conn.fetch(
        "SELECT stage, result, concerns, answered_at, checks_completed_at, recorded_at, effect"
        " FROM late_answers WHERE tenant = $1 AND case_reference = $2"
        " ORDER BY recorded_at, answered_at, system, party",
        tx.tenant,
        case_reference,
    )
    return [
        LateRecord(
            answer=LateAnswer(
                stage=Stage(row["stage"]),
                result=CheckResult.model_validate_json(row["result"]),
                concerns=tuple(Concern(concern) for concern in row["concerns"]),
            ),
            answered_at=row["answered_at"],
            checks_completed_at=row["checks_completed_at"],
            recorded_at=row["recorded_at"],
            effect=LateEffect(row["effect"]),
        )
        for row in rows
    ]


async def schedule_forum(
    tx: Transaction,
    *,
    case_reference: str,
    forum_id: UUID,
    plan: Schedule,
    scheduled_at: datetime,
) -> None:
    """Schedule a case's forum, or move it (the forum keeps its id)."""
    await tx.conn.execute(
        "INSERT INTO forums (tenant, case_reference, forum_id, forum, scheduled_for, urgent,"
        " urgency_justification, exception_reason, scheduled_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (tenant, case_reference) DO UPDATE SET forum = EXCLUDED.forum,"
        " scheduled_for = EXCLUDED.scheduled_for, urgent = EXCLUDED.urgent,"
        " urgency_justification = EXCLUDED.urgency_justification,"
        " exception_reason = EXCLUDED.exception_reason, scheduled_at = EXCLUDED.scheduled_at",
        tx.tenant,
        case_reference,
        forum_id,
        plan.forum.value,
        plan.scheduled_for,
        plan.urgent,
        plan.urgency_justification,
        plan.exception_reason,
        scheduled_at,
    )


async def load_forum(tx: Transaction, *, case_reference: str) -> ForumRecord | None:
    """A case's forum, if one was scheduled."""
    row = await tx.conn.fetchrow(
        "SELECT forum_id, forum, scheduled_for, urgent, decided_at, route FROM forums"
        " WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
    )
    if row is None:
        return None
    return ForumRecord(
        forum_id=row["forum_id"],
        forum=Forum(row["forum"]),
        scheduled_for=row["scheduled_for"],
        urgent=row["urgent"],
        decided_at=row["decided_at"],
        route=DecisionRoute(row["route"]) if row["route"] else None,
    )


async def record_forum_decision(
    tx: Transaction,
    *,
    case_reference: str,
    decided_at: datetime,
    conclusion: Conclusion,
) -> None:
    """Record what the forum concluded, who attended and each agency's position."""
    await tx.conn.execute(
        "UPDATE forums SET decided_at = $3, route = $4, recommend_disclosure = $5,"
        " rationale = $6, attendance = $7::jsonb, positions = $8::jsonb,"
        " information_shared = $9, inform_subject = $10, community_risk_assessment = $11"
        " WHERE tenant = $1 AND case_reference = $2",
        tx.tenant,
        case_reference,
        decided_at,
        conclusion.route.value,
        conclusion.recommend_disclosure,
        conclusion.rationale,
        _ATTENDANCE.dump_json(conclusion.attendance).decode(),
        _POSITIONS.dump_json(conclusion.positions).decode(),
        conclusion.information_shared,
        conclusion.inform_subject,
        conclusion.community_risk_assessment,
    )


def _column_value(name: str, value: Any) -> Any:
    serialise = _SERIALISERS.get(name)
    return value if serialise is None or value is None else serialise(value)


def _case(row: Any) -> Case:
    subject = row["subject"]
    results = row["checks_results"]
    return Case(
        case_reference=row["case_reference"],
        role=row["role"],
        correlation_id=row["correlation_id"],
        state=row["state"],
        consent_to_share=row["consent_to_share"],
        behaviour_of_concern=row["behaviour_of_concern"],
        subject=SubjectParticulars.model_validate_json(subject) if subject else None,
        children=_CHILDREN.validate_json(row["children"]),
        enquiry_at=row["enquiry_at"],
        application_at=row["application_at"],
        risk_assessment_due_at=row["risk_assessment_due_at"],
        closure_due_at=row["closure_due_at"],
        checks_stage=Stage(row["checks_stage"]) if row["checks_stage"] else None,
        checks_results=_RESULTS.validate_json(results) if results else (),
        checks_completed_at=row["checks_completed_at"],
        checks_requested_at=row["checks_requested_at"],
        assessment_started_at=row["assessment_started_at"],
        owning_force=row["owning_force"],
        owning_case_reference=row["owning_case_reference"],
        handoff_id=row["handoff_id"],
        respond_by=row["respond_by"],
        applicant_home=Address.model_validate_json(home)
        if (home := row["applicant_home"])
        else None,
        escalated_from_checks_at=row["escalated_from_checks_at"],
    )
