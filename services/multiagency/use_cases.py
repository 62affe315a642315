"""What the multi-agency service does, one function each: the entry points of handlers and API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1, SettleMatchV1
from schemas.disclosure import CaseClosedV1, HandoffCaseClosedV1
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
from schemas.safeguarding import (
    ReferImmediateRiskV1,
    ReferralAcknowledgedV1,
    Risk,
    SafeguardingEscalationRaisedV1,
)
from services.multiagency import (
    assessment,
    consulting,
    domain,
    forum,
    handoff,
    late_answers,
    referral,
    store,
)
from services.multiagency import store_requests as requests
from services.multiagency.config import Context
from services.multiagency.domain import Assessment, HandoffStatus, LateEffect, SharingDecision
from services.multiagency.messaging import emit
from services.multiagency.store import RESPONDING, Case, CaseState, ForumRecord, LateRecord
from services.runtime import audit
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Rejected
from services.runtime.emitter import Cause
from services.runtime.errors import CaseNotFound, WrongStage
from services.runtime.staff import current_staff
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


async def _case(tx: Transaction, case_reference: str, cause: Envelope) -> Case:
    await store.open_case(
        tx,
        case_reference=case_reference,
        correlation_id=cause.correlation_id,
    )
    case = await store.load_case(tx, case_reference=case_reference)
    assert case is not None
    return case


def _refuse_if_concluded(case: Case, what: str) -> None:
    """A case whose forum decided (or whose findings went back) is done here (5.6.12)."""
    if case.state in {CaseState.DECIDED, CaseState.RETURNED}:
        raise Rejected(
            f"case_reference: the case is {case.state} in this service; a {what} cannot move it"
        )


@dataclass(frozen=True)
class Deps:
    """What the use cases that handle messages are given by the composition root (app.py)."""

    clock: Clock
    context: Context


async def record_enquiry(
    deps: Deps, tx: Transaction, delivery: Delivery[EnquiryRegisteredV1]
) -> None:
    """Keep what the assessment needs of the enquiry: consent, deadlines, risk answers (5.1)."""
    enquiry = delivery.message
    case = await _case(tx, enquiry.case_reference, delivery.envelope)
    await store.update_case(
        tx,
        case_reference=case.case_reference,
        enquiry_at=enquiry.registered_at,
        consent_to_share=enquiry.consent.to_share_with_agencies,
        behaviour_of_concern=case.behaviour_of_concern
        or domain.concerning_behaviour(enquiry.immediate_risk),
        risk_assessment_due_at=enquiry.risk_assessment_due_at,
        closure_due_at=enquiry.closure_due_at,
        subject=case.subject or enquiry.subject,
        children=case.children or enquiry.children,
        applicant_home=case.applicant_home or (enquiry.applicant and enquiry.applicant.address),
    )
    await _advance(deps, tx, case.case_reference, Cause.of(delivery.envelope))


async def record_application(
    deps: Deps, tx: Transaction, delivery: Delivery[ApplicationSubmittedV1]
) -> None:
    """Keep the children and the subject, and ask for the checks of stage 4 (5.2.5, 5.4.4)."""
    application, trigger = delivery.message, Cause.of(delivery.envelope)
    case = await _case(tx, application.case_reference, delivery.envelope)
    _refuse_if_concluded(case, "face-to-face application")
    if case.state != CaseState.OPEN:
        log.info("application_after_assessment", state=case.state)
        return
    await store.update_case(
        tx,
        case_reference=case.case_reference,
        application_at=application.seen_at,
        children=application.children,
        subject=application.subject,
        applicant_home=application.applicant.address,
        behaviour_of_concern=case.behaviour_of_concern
        or domain.concerning_behaviour(application.immediate_risk),
    )
    if case.checks_requested_at is None:
        await assessment.request_stage4_checks(
            tx, case, application, trigger=trigger, now=deps.clock.now()
        )
    await _advance(deps, tx, case.case_reference, trigger)


async def record_checks(deps: Deps, tx: Transaction, delivery: Delivery[ChecksCompletedV1]) -> None:
    """Keep the latest stage's check results; assess when they are the ones awaited."""
    checks = delivery.message
    case = await _case(tx, checks.case_reference, delivery.envelope)
    _refuse_if_concluded(case, "stage's completed checks")
    if case.state != CaseState.OPEN:
        log.info("checks_after_assessment", stage=checks.stage.value, state=case.state)
        return
    if not domain.later_stage(checks.stage, case.checks_stage):
        log.info("checks_of_an_earlier_stage", stage=checks.stage.value)
        return
    await store.update_case(
        tx,
        case_reference=case.case_reference,
        checks_stage=checks.stage,
        checks_results=checks.results,
        checks_completed_at=checks.completed_at,
    )
    await _escalate_from_checks(tx, case, checks, now=deps.clock.now())
    await _advance(deps, tx, case.case_reference, Cause.of(delivery.envelope))


async def _escalate_from_checks(
    tx: Transaction, case: Case, checks: ChecksCompletedV1, *, now: datetime
) -> None:
    """Raise imminent risk the checks show, once per case, without waiting (5.4.6, 5.6.11)."""
    if case.escalated_from_checks_at is not None:
        return
    grounds = domain.imminent_risk_in_checks(
        checks.results,
        subject=case.subject,
        children=case.children,
        applicant_home=case.applicant_home,
    )
    if grounds is None:
        return
    referral.raise_escalation(
        tx,
        case,
        stage=checks.stage,
        risk=Risk.IMMINENT,
        grounds=grounds,
        section_47=True,
        now=now,
    )
    await store.update_case(tx, case_reference=case.case_reference, escalated_from_checks_at=now)


async def record_late_answer(
    deps: Deps, tx: Transaction, delivery: Delivery[CheckAnsweredLateV1]
) -> None:
    """Keep a system's late answer; a forum not yet decided weighs it (5.4.4, 5.6.12)."""
    late = delivery.message
    case = await _case(tx, late.case_reference, delivery.envelope)
    now = deps.clock.now()
    effect = await late_answers.keep(tx, case, late, now=now)
    if effect is LateEffect.REVISES_ASSESSMENT:
        await assessment.revise(tx, case, now=now)


async def record_consultation_answer(
    deps: Deps, tx: Transaction, delivery: Delivery[ConsultationAnsweredV1]
) -> None:
    """Record an agency's answer or refusal; it completes the assessment if it was the last,
    revises what a forum not yet decided weighs, or is kept after the decision (6.3)."""
    answer = delivery.message
    case = await store.load_case(tx, case_reference=answer.case_reference)
    if case is None:
        raise Rejected(
            f"consultation_id: {tx.tenant} asked no consultation {answer.consultation_id}"
        )
    now = deps.clock.now()
    effect = await consulting.apply_answer(
        tx, case, answer, sender=delivery.envelope.tenant, now=now
    )
    if effect is LateEffect.AWAITS_ASSESSMENT:
        await _complete_if_settled(deps, tx, case, Cause.of(delivery.envelope), now)
    elif effect is LateEffect.REVISES_ASSESSMENT:
        await assessment.revise(tx, case, now=now)


async def record_escalation(
    deps: Deps, tx: Transaction, delivery: Delivery[SafeguardingEscalationRaisedV1]
) -> None:
    """Refer immediate or imminent risk to children's social care at once, at any stage (2.7)."""
    escalation = delivery.message
    case = await _case(tx, escalation.case_reference, delivery.envelope)
    await referral.refer(
        tx,
        case,
        escalation,
        trigger=Cause.of(delivery.envelope),
        now=deps.clock.now(),
        context=deps.context,
    )


async def record_referral_acknowledged(
    deps: Deps, tx: Transaction, delivery: Delivery[ReferralAcknowledgedV1]
) -> None:
    """Children's social care has the referral and says what it does (2.7, 5.1.11)."""
    await referral.acknowledge(
        tx,
        delivery.message,
        sender=delivery.envelope.tenant,
        trigger=Cause.of(delivery.envelope),
        now=deps.clock.now(),
    )


async def pass_on_referral(
    deps: Deps, tx: Transaction, delivery: Delivery[ReferImmediateRiskV1]
) -> None:
    """Another force refers immediate risk to a child who lives here (3.5, 4.10)."""
    await referral.forward(
        tx,
        delivery.message,
        sender=delivery.envelope.tenant,
        trigger=Cause.of(delivery.envelope),
        now=deps.clock.now(),
        context=deps.context,
    )


async def share_outcome(deps: Deps, tx: Transaction, delivery: Delivery[CaseClosedV1]) -> None:
    """The case closed: the agencies consulted on it are told how it ended (6.3)."""
    closed = delivery.message
    case = await store.load_case(tx, case_reference=closed.case_reference)
    if case is None:  # closed before this service heard of it: no agency was consulted
        log.info("closed_case_unknown_here")
        return
    await consulting.share_outcome(
        tx, case, closed, trigger=Cause.of(delivery.envelope), now=deps.clock.now()
    )


async def share_outcome_responded(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffCaseClosedV1]
) -> None:
    """As a responding force: the owning force closed the case; the agencies this force
    consulted for its party are told how it ended (6.3, 4.10), once."""
    closed = delivery.message
    responded = await requests.load_handoff(tx, handoff_id=closed.handoff_id)
    if responded is None or responded.role != RESPONDING:
        raise Rejected(f"handoff_id: {tx.tenant} responded to no handoff {closed.handoff_id}")
    if delivery.envelope.tenant != responded.owning_force or closed.owning_force != (
        responded.owning_force
    ):
        raise Rejected(f"owning_force: handoff {closed.handoff_id} came from another force")
    if closed.responding_case_reference != responded.case_reference:
        raise Rejected(f"responding_case_reference: handoff {closed.handoff_id} is another case")
    if responded.case_closed_at is not None:
        raise Rejected(f"handoff_id: the case of handoff {closed.handoff_id} was closed already")
    now = deps.clock.now()
    await requests.close_handoff(tx, handoff_id=closed.handoff_id, at=closed.closed_at)
    case = await _loaded(tx, responded.case_reference)
    await consulting.share_outcome(tx, case, closed, trigger=Cause.of(delivery.envelope), now=now)


async def receive_handoff(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffRequestedV1]
) -> None:
    """As the responding force: accept the party under a linked case of ours, or decline (4.10)."""
    request, cause, directory = delivery.message, delivery.envelope, deps.context.directory
    handoff.check_request(request, sender=cause.tenant, force=tx.tenant, directory=directory)
    seen = await requests.load_handoff(tx, handoff_id=request.handoff_id)
    if seen is not None:
        log.info("handoff_already_received", handoff=str(request.handoff_id))
        return
    now = deps.clock.now()
    reason = handoff.decline_reason(request, force=tx.tenant, directory=directory)
    if reason is not None:
        await handoff.decline(tx, request, reason=reason, cause=cause, now=now)
        return
    reference = await handoff.accept(tx, request, cause=cause, now=now)
    await _advance(deps, tx, reference, Cause.of(cause))


async def record_handoff_accepted(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffAcceptedV1]
) -> None:
    """As the owning force: link the responding force's case reference to ours."""
    accepted = delivery.message
    await _settle_reply(
        deps,
        tx,
        delivery,
        allowed=(HandoffStatus.REQUESTED,),
        status=HandoffStatus.ACCEPTED,
        responding_case_reference=accepted.responding_case_reference,
    )


async def record_handoff_declined(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffDeclinedV1]
) -> None:
    """As the owning force: the party stays ours; the assessment goes on without the handoff."""
    await _settle_reply(
        deps,
        tx,
        delivery,
        allowed=(HandoffStatus.REQUESTED,),
        status=HandoffStatus.DECLINED,
        declined_reason=delivery.message.reason,
    )


async def record_handoff_returned(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffReturnedV1]
) -> None:
    """As the owning force: keep the responding force's findings, then weigh them (4.10)."""
    await _settle_reply(
        deps,
        tx,
        delivery,
        allowed=(HandoffStatus.ACCEPTED, HandoffStatus.OVERDUE),
        status=HandoffStatus.RETURNED,
        returned=delivery.message,
    )


async def _settle_reply(
    deps: Deps,
    tx: Transaction,
    delivery: Delivery[HandoffAcceptedV1]
    | Delivery[HandoffDeclinedV1]
    | Delivery[HandoffReturnedV1],
    *,
    allowed: tuple[HandoffStatus, ...],
    status: HandoffStatus,
    responding_case_reference: str | None = None,
    declined_reason: str | None = None,
    returned: HandoffReturnedV1 | None = None,
) -> None:
    """The responding force's reply to a handoff of ours: checked, kept, then weighed."""
    reply = delivery.message
    case = await _owning_case(tx, reply.owning_case_reference, reply.handoff_id)
    asked = await handoff.check_reply(
        tx,
        handoff_id=reply.handoff_id,
        owning_case_reference=case.case_reference,
        responding_force=reply.responding_force,
        sender=delivery.envelope.tenant,
        allowed=allowed,
    )
    settles_assessment = status is not HandoffStatus.ACCEPTED
    if settles_assessment:
        _still_assessing(case, reply.handoff_id)
    now = deps.clock.now()
    await requests.settle_handoff(
        tx,
        handoff_id=reply.handoff_id,
        status=status,
        at=now,
        responding_case_reference=responding_case_reference,
        declined_reason=declined_reason,
        returned=returned,
    )
    log.info(f"handoff_{status}", handoff=str(reply.handoff_id))
    if status is HandoffStatus.DECLINED:
        await assessment.take_back(
            tx, case, asked, trigger=Cause.of(delivery.envelope), now=now, context=deps.context
        )
    if settles_assessment:
        await _complete_if_settled(deps, tx, case, Cause.of(delivery.envelope), now)


async def _complete_if_settled(
    deps: Deps, tx: Transaction, case: Case, trigger: Cause, now: datetime
) -> None:
    await assessment.complete_if_settled(tx, case, trigger=trigger, now=now, context=deps.context)


async def sweep_deadlines(tx: Transaction, *, clock: Clock, context: Context) -> int:
    """Remind agencies, mark late answers overdue, and let their cases go on; return how many."""
    now = clock.now()
    touched: set[str] = set()
    reminders = await requests.due_reminders(tx, now=now)
    for consultation in reminders:
        case = await _loaded(tx, consultation.case_reference)
        await consulting.remind(tx, consultation, case, now=now)
    overdue = await requests.due_overdue(tx, now=now)
    for consultation in overdue:
        case = await _loaded(tx, consultation.case_reference)
        await consulting.mark_overdue(tx, consultation, case, now=now)
        touched.add(consultation.case_reference)
    chased = await referral.chase_unacknowledged(tx, now=now)
    late = await requests.due_handoffs(tx, now=now)
    for item in late:
        await requests.settle_handoff(
            tx,
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
    return len(reminders) + len(overdue) + chased + len(late)


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
    domain.check_sharing(basis=basis, consent=case.consent_to_share, reason=reason)
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


async def raise_escalation(
    tx: Transaction, *, case_reference: str, raised: domain.Escalation, clock: Clock
) -> None:
    """A member of staff sees immediate or imminent risk, at any stage: it is raised now, and
    referred to children's social care at once (2.7, 5.4.6, 5.6.11)."""
    domain.check_escalation(raised)
    case = await _existing(tx, case_reference)
    now = clock.now()
    referral.raise_escalation(
        tx,
        case,
        stage=raised.stage,
        risk=raised.risk,
        grounds=raised.grounds,
        section_47=raised.section_47,
        now=now,
    )
    await tx.audit(
        audit.Action.COLLECTION,
        at=now,
        case_ref=case_reference,
        reason=f"2.7, 5.4.6: {raised.risk.value} risk raised by staff at the "
        f"{raised.stage.value} stage, for children's social care",
    )


async def sign_off_assessment(
    tx: Transaction,
    *,
    case_reference: str,
    signed: domain.SignOff,
    clock: Clock,
    context: Context,
) -> Assessment:
    """A trained officer signs off the full risk assessment with Appendix D's answers; the
    case then goes to its forum or its conclusion (5.4.2, 5.4.3, 5.4.7)."""
    case = await _existing(tx, case_reference)
    if case.state != CaseState.AWAITING_SIGN_OFF:
        raise WrongStage(f"the risk assessment of {case_reference} is not awaiting sign-off")
    officer = current_staff.get()
    return await assessment.sign_off(
        tx,
        case,
        signed,
        signed_by=officer.identifier if officer else "unknown",
        now=clock.now(),
        context=context,
    )


async def settle_possible_match(
    tx: Transaction, *, case_reference: str, settled: domain.Settlement, clock: Clock
) -> None:
    """A researcher settles a possible match during the full risk assessment (5.4.4): the
    checks ask for the record settled on, or read the check as no trace, as a late answer
    that the assessment and its sign-off weigh."""
    case = await _existing(tx, case_reference)
    if case.state in {CaseState.OPEN, CaseState.DECIDED, CaseState.RETURNED}:
        raise WrongStage(f"the full risk assessment of {case_reference} is not under way")
    results, _ = await late_answers.weighed(tx, case)
    domain.check_settlement(results, settled)
    assert case.checks_stage is not None
    now = clock.now()
    emit(
        tx,
        SettleMatchV1(
            case_reference=case_reference,
            stage=case.checks_stage,
            system=settled.system,
            party=settled.party,
            record_reference=settled.record_reference,
            reason=settled.reason,
            settled_at=now,
        ),
        cause=Cause(case.correlation_id),
        subject=case_reference,
        now=now,
    )
    await tx.audit(
        audit.Action.COLLECTION,
        at=now,
        case_ref=case_reference,
        reason=f"5.4.4: a possible match on {settled.system.value} settled by a researcher, "
        + ("on a candidate" if settled.record_reference else "as none of the candidates"),
    )


async def schedule_forum(
    tx: Transaction,
    *,
    case_reference: str,
    plan: domain.Schedule,
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
        c.agency for c in await requests.consultations_of(tx, case_reference=case_reference)
    ]
    invitations = forum.invited(
        plan.forum, force=tx.tenant, consulted=consulted, directory=context.directory
    )
    return await forum.schedule(
        tx, case, plan, invitations=invitations, trigger=Cause(case.correlation_id), now=now
    )


async def record_forum_decision(
    tx: Transaction, *, case_reference: str, conclusion: domain.Conclusion, clock: Clock
) -> None:
    """Staff record the forum's conclusion; it goes to disclosure or back to the owning force."""
    case = await _existing(tx, case_reference)
    scheduled = await store.load_forum(tx, case_reference=case_reference)
    if case.state != CaseState.FORUM_SCHEDULED or scheduled is None:
        raise WrongStage(f"{case_reference} has no forum waiting for its conclusion")
    domain.check_decision(
        force=tx.tenant,
        attending=[a.agency for a in conclusion.attendance],
        positions=[p.agency for p in conclusion.positions],
        route=conclusion.route,
        recommend_disclosure=conclusion.recommend_disclosure,
        inform_subject=conclusion.inform_subject,
        community_risk_assessment=conclusion.community_risk_assessment,
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
    referrals: list[referral.Referral]


async def view_case(tx: Transaction, *, case_reference: str) -> CaseView:
    """A case as staff follow it."""
    case = await _existing(tx, case_reference)
    return CaseView(
        case=case,
        consultations=await requests.consultations_of(tx, case_reference=case_reference),
        handoffs=await requests.handoffs_of(tx, case_reference=case_reference),
        assessment=await store.load_assessment(tx, case_reference=case_reference),
        forum=await store.load_forum(tx, case_reference=case_reference),
        late_answers=await store.late_answers_of(tx, case_reference=case_reference),
        referrals=await referral.referrals_of(tx, case_reference=case_reference),
    )


async def _advance(deps: Deps, tx: Transaction, reference: str, trigger: Cause) -> None:
    case = await _loaded(tx, reference)
    await assessment.advance(tx, case, trigger=trigger, now=deps.clock.now(), context=deps.context)


async def _loaded(tx: Transaction, reference: str) -> Case:
    case = await store.load_case(tx, case_reference=reference)
    assert case is not None, "cases are never deleted"
    return case


async def _existing(tx: Transaction, reference: str) -> Case:
    case = await store.load_case(tx, case_reference=reference)
    if case is None:
        raise CaseNotFound(reference)
    return case


async def _owning_case(tx: Transaction, reference: str, handoff_id: UUID) -> Case:
    case = await store.load_case(tx, case_reference=reference)
    if case is None or case.role != store.OWNING:
        raise Rejected(f"handoff_id: {tx.tenant} made no handoff {handoff_id}")
    return case


def _still_assessing(case: Case, handoff_id: UUID) -> None:
    if case.state != CaseState.ASSESSING:
        raise Rejected(
            f"handoff_id: handoff {handoff_id} is closed: the risk assessment was completed"
        )
