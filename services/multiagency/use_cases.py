"""What the multi-agency service does, one function each: the entry points of handlers and API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog

from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1
from schemas.envelope import Envelope
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from schemas.multiagency import (
    AgencyKind,
    ConsultationAnsweredV1,
    HandoffAcceptedV1,
    HandoffDeclinedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
    LawfulBasis,
)
from services.multiagency import (
    assessment,
    consulting,
    domain,
    forum,
    handoff,
    late_answers,
    store,
)
from services.multiagency import store_requests as requests
from services.multiagency.config import Context
from services.multiagency.domain import HandoffStatus, LateEffect, SharingDecision
from services.multiagency.store import Case, CaseState, ForumRecord, LateRecord
from services.runtime.clock import Clock
from services.runtime.consumer import Rejected
from services.runtime.emitter import Cause
from services.runtime.errors import CaseNotFound, WrongStage
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


async def _case(tx: Transaction, case_reference: str, cause: Envelope) -> Case:
    await store.open_case(
        tx.conn,
        tenant=tx.tenant,
        case_reference=case_reference,
        correlation_id=cause.correlation_id,
    )
    case = await store.load_case(tx.conn, tenant=tx.tenant, case_reference=case_reference)
    assert case is not None
    return case


def _refuse_if_concluded(case: Case, what: str) -> None:
    """A case whose forum decided (or whose findings went back) is done here (5.6.12)."""
    if case.state in {CaseState.DECIDED, CaseState.RETURNED}:
        raise Rejected(
            f"case_reference: the case is {case.state} in this service; a {what} cannot move it"
        )


async def record_enquiry(
    tx: Transaction,
    *,
    enquiry: EnquiryRegisteredV1,
    cause: Envelope,
    clock: Clock,
    context: Context,
) -> None:
    """Keep what the assessment needs of the enquiry: consent, deadlines, risk answers (5.1)."""
    case = await _case(tx, enquiry.case_reference, cause)
    await store.update_case(
        tx.conn,
        tenant=tx.tenant,
        case_reference=case.case_reference,
        enquiry_at=enquiry.registered_at,
        consent_to_share=enquiry.consent.to_share_with_agencies,
        behaviour_of_concern=case.behaviour_of_concern
        or domain.concerning_behaviour(enquiry.immediate_risk),
        risk_assessment_due_at=enquiry.risk_assessment_due_at,
        closure_due_at=enquiry.closure_due_at,
        subject=case.subject or enquiry.subject,
        children=case.children or enquiry.children,
    )
    await _advance(tx, case.case_reference, Cause.of(cause), clock, context)


async def record_application(
    tx: Transaction,
    *,
    application: ApplicationSubmittedV1,
    cause: Envelope,
    clock: Clock,
    context: Context,
) -> None:
    """Keep the children and the subject, and ask for the checks of stage 4 (5.2.5, 5.4.4)."""
    case = await _case(tx, application.case_reference, cause)
    _refuse_if_concluded(case, "face-to-face application")
    if case.state != CaseState.OPEN:
        log.info("application_after_assessment", state=case.state)
        return
    await store.update_case(
        tx.conn,
        tenant=tx.tenant,
        case_reference=case.case_reference,
        application_at=application.seen_at,
        children=application.children,
        subject=application.subject,
        behaviour_of_concern=case.behaviour_of_concern
        or domain.concerning_behaviour(application.immediate_risk),
    )
    if case.checks_requested_at is None:
        await assessment.request_stage4_checks(
            tx, case, application, trigger=Cause.of(cause), now=clock.now()
        )
    await _advance(tx, case.case_reference, Cause.of(cause), clock, context)


async def record_checks(
    tx: Transaction,
    *,
    checks: ChecksCompletedV1,
    cause: Envelope,
    clock: Clock,
    context: Context,
) -> None:
    """Keep the latest stage's check results; assess when they are the ones awaited."""
    case = await _case(tx, checks.case_reference, cause)
    _refuse_if_concluded(case, "stage's completed checks")
    if case.state != CaseState.OPEN:
        log.info("checks_after_assessment", stage=checks.stage.value, state=case.state)
        return
    if not domain.later_stage(checks.stage, case.checks_stage):
        log.info("checks_of_an_earlier_stage", stage=checks.stage.value)
        return
    await store.update_case(
        tx.conn,
        tenant=tx.tenant,
        case_reference=case.case_reference,
        checks_stage=checks.stage,
        checks_results=checks.results,
        checks_completed_at=checks.completed_at,
    )
    await _advance(tx, case.case_reference, Cause.of(cause), clock, context)


async def record_late_answer(
    tx: Transaction, *, late: CheckAnsweredLateV1, cause: Envelope, clock: Clock
) -> None:
    """Keep a system's late answer; a forum not yet decided weighs it (5.4.4, 5.6.12)."""
    case = await _case(tx, late.case_reference, cause)
    now = clock.now()
    effect = await late_answers.keep(tx, case, late, now=now)
    if effect is LateEffect.REVISES_ASSESSMENT:
        await assessment.revise(tx, case, now=now)


async def record_consultation_answer(
    tx: Transaction,
    *,
    answer: ConsultationAnsweredV1,
    cause: Envelope,
    clock: Clock,
    context: Context,
) -> None:
    """Record an agency's answer or refusal, and complete the assessment if it was the last."""
    case = await store.load_case(tx.conn, tenant=tx.tenant, case_reference=answer.case_reference)
    if case is None:
        raise Rejected(
            f"consultation_id: {tx.tenant} asked no consultation {answer.consultation_id}"
        )
    await consulting.apply_answer(tx, answer, sender=cause.tenant)
    if case.state != CaseState.ASSESSING:
        raise Rejected(
            f"consultation_id: consultation {answer.consultation_id} is closed: "
            "the risk assessment was completed without it"
        )
    await assessment.complete_if_settled(
        tx, case, trigger=Cause.of(cause), now=clock.now(), context=context
    )


async def receive_handoff(
    tx: Transaction,
    *,
    request: HandoffRequestedV1,
    cause: Envelope,
    clock: Clock,
    context: Context,
) -> None:
    """As the responding force: accept the party under a linked case of ours, or decline (4.10)."""
    handoff.check_request(
        request, sender=cause.tenant, force=tx.tenant, directory=context.directory
    )
    seen = await requests.load_handoff(tx.conn, tenant=tx.tenant, handoff_id=request.handoff_id)
    if seen is not None:
        log.info("handoff_already_received", handoff=str(request.handoff_id))
        return
    now = clock.now()
    reason = handoff.decline_reason(request, force=tx.tenant, directory=context.directory)
    if reason is not None:
        await handoff.decline(tx, request, reason=reason, cause=cause, now=now)
        return
    reference = await handoff.accept(tx, request, cause=cause, now=now)
    await _advance(tx, reference, Cause.of(cause), clock, context)


async def record_handoff_accepted(
    tx: Transaction, *, accepted: HandoffAcceptedV1, cause: Envelope, clock: Clock
) -> None:
    """As the owning force: link the responding force's case reference to ours."""
    case = await _owning_case(tx, accepted.owning_case_reference, accepted.handoff_id)
    await handoff.check_reply(
        tx,
        handoff_id=accepted.handoff_id,
        owning_case_reference=case.case_reference,
        responding_force=accepted.responding_force,
        sender=cause.tenant,
        allowed=(HandoffStatus.REQUESTED,),
    )
    await requests.settle_handoff(
        tx.conn,
        tenant=tx.tenant,
        handoff_id=accepted.handoff_id,
        status=HandoffStatus.ACCEPTED,
        at=clock.now(),
        responding_case_reference=accepted.responding_case_reference,
    )
    log.info("handoff_accepted", handoff=str(accepted.handoff_id))


async def record_handoff_declined(
    tx: Transaction,
    *,
    declined: HandoffDeclinedV1,
    cause: Envelope,
    clock: Clock,
    context: Context,
) -> None:
    """As the owning force: the party stays ours; the assessment goes on without the handoff."""
    case = await _owning_case(tx, declined.owning_case_reference, declined.handoff_id)
    await handoff.check_reply(
        tx,
        handoff_id=declined.handoff_id,
        owning_case_reference=case.case_reference,
        responding_force=declined.responding_force,
        sender=cause.tenant,
        allowed=(HandoffStatus.REQUESTED,),
    )
    _still_assessing(case, declined.handoff_id)
    now = clock.now()
    await requests.settle_handoff(
        tx.conn,
        tenant=tx.tenant,
        handoff_id=declined.handoff_id,
        status=HandoffStatus.DECLINED,
        at=now,
        declined_reason=declined.reason,
    )
    log.info("handoff_declined", handoff=str(declined.handoff_id))
    await assessment.complete_if_settled(
        tx, case, trigger=Cause.of(cause), now=now, context=context
    )


async def record_handoff_returned(
    tx: Transaction,
    *,
    returned: HandoffReturnedV1,
    cause: Envelope,
    clock: Clock,
    context: Context,
) -> None:
    """As the owning force: keep the responding force's findings, then weigh them (4.10)."""
    case = await _owning_case(tx, returned.owning_case_reference, returned.handoff_id)
    await handoff.check_reply(
        tx,
        handoff_id=returned.handoff_id,
        owning_case_reference=case.case_reference,
        responding_force=returned.responding_force,
        sender=cause.tenant,
        allowed=(HandoffStatus.ACCEPTED, HandoffStatus.OVERDUE),
    )
    _still_assessing(case, returned.handoff_id)
    now = clock.now()
    await requests.settle_handoff(
        tx.conn,
        tenant=tx.tenant,
        handoff_id=returned.handoff_id,
        status=HandoffStatus.RETURNED,
        at=now,
        returned=returned,
    )
    log.info("handoff_findings_received", handoff=str(returned.handoff_id))
    await assessment.complete_if_settled(
        tx, case, trigger=Cause.of(cause), now=now, context=context
    )


async def sweep_deadlines(tx: Transaction, *, clock: Clock, context: Context) -> int:
    """Remind agencies, mark late answers overdue, and let their cases go on; return how many."""
    now = clock.now()
    touched: set[str] = set()
    reminders = await requests.due_reminders(tx.conn, tenant=tx.tenant, now=now)
    for consultation in reminders:
        case = await _loaded(tx, consultation.case_reference)
        await consulting.remind(tx, consultation, case, now=now)
    overdue = await requests.due_overdue(tx.conn, tenant=tx.tenant, now=now)
    for consultation in overdue:
        case = await _loaded(tx, consultation.case_reference)
        await consulting.mark_overdue(tx, consultation, case, now=now)
        touched.add(consultation.case_reference)
    late = await requests.due_handoffs(tx.conn, tenant=tx.tenant, now=now)
    for item in late:
        await requests.settle_handoff(
            tx.conn,
            tenant=tx.tenant,
            handoff_id=item.handoff_id,
            status=HandoffStatus.OVERDUE,
            at=now,
        )
        log.info("handoff_overdue", handoff=str(item.handoff_id))
        touched.add(item.case_reference)
    for reference in sorted(touched):
        case = await _loaded(tx, reference)
        if case.state == CaseState.ASSESSING:
            await assessment.complete_if_settled(
                tx, case, trigger=Cause(case.correlation_id), now=now, context=context
            )
    return len(reminders) + len(overdue) + len(late)


async def request_consultation(
    tx: Transaction,
    *,
    case_reference: str,
    agency: str,
    kind: AgencyKind,
    basis: LawfulBasis,
    reason: str,
    question: str | None,
    clock: Clock,
    context: Context,
) -> UUID:
    """Staff ask another agency that can inform the risk assessment (5.4.5, third bullet)."""
    case = await _existing(tx, case_reference)
    if case.state != CaseState.ASSESSING:
        raise WrongStage(f"the risk assessment of {case_reference} is not under way")
    return await consulting.request_consultation(
        tx,
        case,
        agency=agency,
        kind=kind,
        sharing=SharingDecision(True, basis, reason),
        trigger=Cause(case.correlation_id),
        now=clock.now(),
        context=context,
        question=question,
    )


async def schedule_forum(
    tx: Transaction,
    *,
    case_reference: str,
    plan: forum.Schedule,
    clock: Clock,
    context: Context,
) -> ForumRecord:
    """Staff schedule or move the case's forum, within 5.6.12 and 5.6.27."""
    case = await _existing(tx, case_reference)
    if case.state not in (CaseState.ASSESSED, CaseState.FORUM_SCHEDULED):
        raise WrongStage(f"{case_reference} has no risk assessment waiting for a forum")
    now = clock.now()
    domain.check_schedule(
        plan.forum,
        now=now,
        scheduled_for=plan.scheduled_for,
        urgent=plan.urgent,
        urgency_justification=plan.urgency_justification,
        exception_reason=plan.exception_reason,
    )
    consulted = [
        c.agency
        for c in await requests.consultations_of(
            tx.conn, tenant=tx.tenant, case_reference=case_reference
        )
    ]
    invitations = forum.invited(
        plan.forum, force=tx.tenant, consulted=consulted, directory=context.directory
    )
    return await forum.schedule(
        tx, case, plan, invitations=invitations, trigger=Cause(case.correlation_id), now=now
    )


async def record_forum_decision(
    tx: Transaction, *, case_reference: str, conclusion: forum.Conclusion, clock: Clock
) -> None:
    """Staff record the forum's conclusion; it goes to disclosure or back to the owning force."""
    case = await _existing(tx, case_reference)
    scheduled = await store.load_forum(tx.conn, tenant=tx.tenant, case_reference=case_reference)
    if case.state != CaseState.FORUM_SCHEDULED or scheduled is None:
        raise WrongStage(f"{case_reference} has no forum waiting for its conclusion")
    domain.check_decision(
        force=tx.tenant,
        attending=[a.agency for a in conclusion.attendance],
        positions=[p.agency for p in conclusion.positions],
        route=conclusion.route,
        recommend_disclosure=conclusion.recommend_disclosure,
    )
    await forum.conclude(
        tx, case, scheduled, conclusion, trigger=Cause(case.correlation_id), now=clock.now()
    )


@dataclass(frozen=True, slots=True)
class CaseView:
    """What staff see of a case: identifiers, states and dates, never particulars."""

    case: Case
    consultations: list[requests.Consultation]
    handoffs: list[requests.Handoff]
    assessment: dict[str, Any] | None
    forum: ForumRecord | None
    late_answers: list[LateRecord]


async def view_case(tx: Transaction, *, case_reference: str) -> CaseView:
    """A case as staff follow it."""
    case = await _existing(tx, case_reference)
    return CaseView(
        case=case,
        consultations=await requests.consultations_of(
            tx.conn, tenant=tx.tenant, case_reference=case_reference
        ),
        handoffs=await requests.handoffs_of(
            tx.conn, tenant=tx.tenant, case_reference=case_reference
        ),
        assessment=await store.load_assessment(
            tx.conn, tenant=tx.tenant, case_reference=case_reference
        ),
        forum=await store.load_forum(tx.conn, tenant=tx.tenant, case_reference=case_reference),
        late_answers=await store.late_answers_of(
            tx.conn, tenant=tx.tenant, case_reference=case_reference
        ),
    )


async def _advance(
    tx: Transaction, reference: str, trigger: Cause, clock: Clock, context: Context
) -> None:
    case = await _loaded(tx, reference)
    await assessment.advance(tx, case, trigger=trigger, now=clock.now(), context=context)


async def _loaded(tx: Transaction, reference: str) -> Case:
    case = await store.load_case(tx.conn, tenant=tx.tenant, case_reference=reference)
    assert case is not None, "cases are never deleted"
    return case


async def _existing(tx: Transaction, reference: str) -> Case:
    case = await store.load_case(tx.conn, tenant=tx.tenant, case_reference=reference)
    if case is None:
        raise CaseNotFound(reference)
    return case


async def _owning_case(tx: Transaction, reference: str, handoff_id: UUID) -> Case:
    case = await store.load_case(tx.conn, tenant=tx.tenant, case_reference=reference)
    if case is None or case.role != store.OWNING:
        raise Rejected(f"handoff_id: {tx.tenant} made no handoff {handoff_id}")
    return case


def _still_assessing(case: Case, handoff_id: UUID) -> None:
    if case.state != CaseState.ASSESSING:
        raise Rejected(
            f"handoff_id: handoff {handoff_id} is closed: the risk assessment was completed"
        )
