"""Consultations: asking an agency, its answer, the reminder and the overdue (5.4.5, 6.3)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import structlog

from schemas.base import Message
from schemas.disclosure import CaseClosedV1, CaseOutcomeV1, HandoffCaseClosedV1
from schemas.multiagency import (
    AgencyKind,
    ConsultationAnsweredV1,
    ConsultationOverdueV1,
    ConsultationRequestedV1,
    LawfulBasis,
    RemindConsultationV1,
    RequestConsultationV1,
)
from schemas.parties import Child
from services.multiagency import domain, late_answers, store_requests
from services.multiagency.config import Context
from services.multiagency.domain import ConsultationStatus, LateEffect, SharingDecision
from services.multiagency.messaging import emit
from services.multiagency.store import OWNING, Case
from services.multiagency.store_requests import Consultation
from services.runtime import audit
from services.runtime.consumer import Rejected
from services.runtime.emitter import Cause
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)

QUESTIONS: dict[AgencyKind, str] = {
    AgencyKind.CHILDRENS_SOCIAL_CARE: (
        "Are the children concerned known to you, and is any of them subject to a child "
        "protection plan? Is the subject known to you?"
    ),
    AgencyKind.PROBATION: (
        "Is the subject known to you: supervised, or managed under MAPPA, and at which level?"
    ),
}
OTHER_QUESTION = "What do you know that informs the risk the subject poses to the children?"


async def request_consultation(
    tx: Transaction,
    case: Case,
    *,
    agency: str,
    kind: AgencyKind,
    sharing: SharingDecision,
    trigger: Cause,
    now: datetime,
    context: Context,
    question: str | None = None,
    children: tuple[Child, ...] | None = None,
) -> UUID:
    """Ask an agency on its inbox, record it, and audit the sharing (5.4.5; issue item 5).

    Children's social care is asked about `children` (by default every child of the case):
    those who live in this force's area (3.5).
    """
    if sharing.basis is None or case.subject is None:
        raise ValueError("a consultation needs a lawful basis and a subject")
    due = case.respond_by if case.responding else case.risk_assessment_due_at
    respond_by, remind_at = domain.consultation_deadlines(
        now, window=context.consultation_window, risk_assessment_due_at=due
    )
    consultation_id = uuid4()
    necessity = sharing.reason if sharing.basis is LawfulBasis.NECESSITY else None
    request = RequestConsultationV1(
        consultation_id=consultation_id,
        asking_force=tx.tenant,
        case_reference=case.case_reference,
        agency_kind=kind,
        lawful_basis=sharing.basis,
        necessity_reason=necessity,
        subject=case.subject,
        # Children's social care is asked about the children; others about the subject only.
        children=(case.children if children is None else children)
        if kind is AgencyKind.CHILDRENS_SOCIAL_CARE
        else (),
        question=question or QUESTIONS.get(kind, OTHER_QUESTION),
        respond_by=respond_by,
    )
    sent = emit(
        tx,
        request,
        to=agency,
        cause=trigger,
        subject=case.case_reference,
        now=now,
    )
    requested = ConsultationRequestedV1(
        consultation_id=consultation_id,
        case_reference=case.case_reference,
        agency=agency,
        agency_kind=kind,
        lawful_basis=sharing.basis,
        necessity_reason=necessity,
        requested_at=now,
        respond_by=respond_by,
    )
    emit(
        tx,
        requested,
        cause=trigger,
        subject=case.case_reference,
        now=now,
    )
    await store_requests.add_consultation(
        tx,
        consultation_id=consultation_id,
        case_reference=case.case_reference,
        agency=agency,
        kind=kind,
        basis=sharing.basis,
        necessity_reason=necessity,
        requested_at=now,
        respond_by=respond_by,
        remind_at=remind_at,
        request_message_id=sent.id,
    )
    await tx.audit(
        audit.Action.CONSULTATION,
        at=now,
        case_ref=case.case_reference,
        recipients=(agency,),
        reason=sharing.reason,
    )
    log.info(
        "consultation_requested",
        consultation=str(consultation_id),
        agency=agency,
        kind=kind.value,
        basis=sharing.basis.value,
    )
    return consultation_id


async def apply_answer(
    tx: Transaction, case: Case, answer: ConsultationAnsweredV1, *, sender: str, now: datetime
) -> LateEffect:
    """Record an agency's answer and what it does; an unknown, closed or unasked one never
    applies. 6.3: an answer counts by when it was sent, so one read after the overdue clock
    ran is weighed like any other, and one that truly came late is kept, never refused."""
    consultation = await store_requests.load_consultation(
        tx, consultation_id=answer.consultation_id
    )
    if consultation is None:
        raise Rejected(
            f"consultation_id: {tx.tenant} asked no consultation {answer.consultation_id}"
        )
    if sender != consultation.agency or answer.agency != consultation.agency:
        raise Rejected(
            f"agency: {sender} was not asked in consultation {answer.consultation_id}; "
            f"{consultation.agency} was"
        )
    if answer.case_reference != consultation.case_reference:
        raise Rejected(
            f"case_reference: consultation {answer.consultation_id} is about another case"
        )
    if consultation.status is ConsultationStatus.ANSWERED:
        raise Rejected(
            f"consultation_id: consultation {answer.consultation_id} is closed: "
            "it was answered already"
        )
    effect = late_answers.effect_on(case)
    await store_requests.record_answer(tx, answer=answer, received_at=now, effect=effect)
    in_time = domain.answered_in_time(answer.answered_at, consultation.respond_by)
    fields = {
        "consultation": str(answer.consultation_id),
        "agency": consultation.agency,
        "outcome": answer.outcome.value,
        "in_time": in_time,
        "effect": effect.value,
    }
    if effect is not LateEffect.AFTER_DECISION:
        log.info("consultation_answered", **fields)
        return effect
    sent = "sent in time" if in_time else "sent after the time asked"
    await late_answers.joined_after_decision(
        tx,
        case,
        f"{consultation.agency}'s answer to its consultation, {sent},",
        now=now,
        paragraphs="6.2, 6.3",
    )
    log.warning("consultation_answer_after_decision", **fields)
    return effect


async def remind(tx: Transaction, consultation: Consultation, case: Case, *, now: datetime) -> None:
    """Remind an agency that has not answered yet; the reminder carries no personal data."""
    reminder = RemindConsultationV1(
        consultation_id=consultation.consultation_id,
        asking_force=tx.tenant,
        case_reference=consultation.case_reference,
        respond_by=consultation.respond_by,
        reminded_at=now,
    )
    emit(
        tx,
        reminder,
        to=consultation.agency,
        cause=Cause(case.correlation_id, consultation.request_message_id),
        subject=consultation.case_reference,
        now=now,
    )
    await store_requests.mark_reminded(tx, consultation_id=consultation.consultation_id, at=now)
    log.info(
        "consultation_reminded",
        consultation=str(consultation.consultation_id),
        agency=consultation.agency,
    )


async def mark_overdue(
    tx: Transaction, consultation: Consultation, case: Case, *, now: datetime
) -> None:
    """Record that an agency did not answer in time: the case goes on, and says so."""
    await store_requests.mark_overdue(tx, consultation_id=consultation.consultation_id, at=now)
    overdue = ConsultationOverdueV1(
        consultation_id=consultation.consultation_id,
        case_reference=consultation.case_reference,
        agency=consultation.agency,
        respond_by=consultation.respond_by,
        noticed_at=now,
    )
    emit(
        tx,
        overdue,
        cause=Cause(case.correlation_id, consultation.request_message_id),
        subject=consultation.case_reference,
        now=now,
    )
    log.info(
        "consultation_overdue",
        consultation=str(consultation.consultation_id),
        agency=consultation.agency,
    )


async def share_outcome(
    tx: Transaction,
    case: Case,
    closed: CaseClosedV1 | HandoffCaseClosedV1,
    *,
    trigger: Cause,
    now: datetime,
) -> int:
    """6.3: tell every agency consulted on the case how it ended, on its inbox, so what came to
    light reaches the agencies concerned; the route and outcome only (5.6.22). The owning force
    tells the forces that responded for a party too, which tell the agencies they consulted
    (4.10). Returns how many agencies were told."""
    consulted = await store_requests.consultations_of(tx, case_reference=case.case_reference)
    if isinstance(closed, CaseClosedV1):
        took_on = [
            (h, h.responding_case_reference)
            for h in await store_requests.handoffs_of(tx, case_reference=case.case_reference)
            if h.role == OWNING and h.responding_case_reference is not None
        ]
        await _tell(
            tx,
            case,
            [
                (
                    handoff.responding_force,
                    HandoffCaseClosedV1(
                        handoff_id=handoff.handoff_id,
                        owning_force=tx.tenant,
                        responding_force=handoff.responding_force,
                        owning_case_reference=case.case_reference,
                        responding_case_reference=reference,
                        route=closed.route,
                        outcome=closed.outcome,
                        closed_at=closed.closed_at,
                    ),
                )
                for handoff, reference in took_on
            ],
            reason="6.3, 4.10: the case's outcome shared with the forces that responded for a "
            "party, for the agencies they consulted",
            trigger=trigger,
            now=now,
        )
    await _tell(
        tx,
        case,
        [
            (
                consultation.agency,
                CaseOutcomeV1(
                    consultation_id=consultation.consultation_id,
                    force=tx.tenant,
                    agency=consultation.agency,
                    case_reference=case.case_reference,
                    route=closed.route,
                    outcome=closed.outcome,
                    closed_at=closed.closed_at,
                ),
            )
            for consultation in consulted
        ],
        reason="6.3: the case's outcome shared with the agencies consulted on it",
        trigger=trigger,
        now=now,
    )
    log.info("outcome_shared", agencies=len(consulted), outcome=closed.outcome.value)
    return len(consulted)


async def _tell(
    tx: Transaction,
    case: Case,
    notices: list[tuple[str, Message]],
    *,
    reason: str,
    trigger: Cause,
    now: datetime,
) -> None:
    """Send each notice to its recipient's inbox, keyed by the case; audit the sharing."""
    for recipient, notice in notices:
        emit(tx, notice, to=recipient, cause=trigger, subject=case.case_reference, now=now)
    if notices:
        await tx.audit(
            audit.Action.DISCLOSURE,
            at=now,
            case_ref=case.case_reference,
            recipients=sorted({recipient for recipient, _ in notices}),
            reason=reason,
        )
