"""The full risk assessment of a case (5.4): started once ready, completed once answered."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import structlog

from schemas.checks import RequestChecksV1, System
from schemas.intake import ApplicationSubmittedV1
from schemas.multiagency import (
    AgencyKind,
    ForumDecidedV1,
    HandoffAction,
    RiskAssessmentCompletedV1,
)
from schemas.parties import Child
from schemas.stages import Stage
from services.multiagency import (
    consulting,
    domain,
    forum,
    handoff,
    late_answers,
    store,
    store_requests,
)
from services.multiagency.config import Context
from services.multiagency.domain import AgencyAnswer, Assessment, Decision, HandoffResult
from services.multiagency.messaging import emit
from services.multiagency.store import OWNING, Case, CaseState
from services.runtime import audit
from services.runtime.emitter import Cause
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


async def advance(
    tx: Transaction, case: Case, *, trigger: Cause, now: datetime, context: Context
) -> None:
    """Start the full risk assessment once the case has what it needs (5.4.4)."""
    if case.state != CaseState.OPEN:
        return
    ready = domain.ready_for_assessment(
        checks_stage=case.checks_stage,
        has_application=case.application_at is not None,
        has_enquiry=case.enquiry_at is not None,
        await_application=context.await_application,
    )
    if not ready:
        log.info("assessment_waiting", stage=case.checks_stage)
        return
    await start(tx, case, trigger=trigger, now=now, context=context)


async def request_stage4_checks(
    tx: Transaction,
    case: Case,
    application: ApplicationSubmittedV1,
    *,
    trigger: Cause,
    now: datetime,
) -> None:
    """5.4.4: revisit PNC, ViSOR, local intelligence and INI for every party of the application."""
    request = RequestChecksV1(
        case_reference=case.case_reference,
        stage=Stage.FULL_RISK_ASSESSMENT,
        parties=("subject", "applicant", *(child.party for child in application.children)),
        systems=(System.PNC, System.VISOR, System.LOCAL_INTELLIGENCE, System.INI),
    )
    emit(
        tx,
        request,
        cause=trigger,
        subject=case.case_reference,
        now=now,
    )
    await store.update_case(tx, case_reference=case.case_reference, checks_requested_at=now)
    log.info("stage4_checks_requested", parties=len(request.parties))


async def start(
    tx: Transaction, case: Case, *, trigger: Cause, now: datetime, context: Context
) -> None:
    """Hand the subject off if they live elsewhere, consult the agencies, or complete at once."""
    await store.update_case(
        tx,
        case_reference=case.case_reference,
        state=CaseState.ASSESSING,
        assessment_started_at=now,
    )
    case = replace(case, state=CaseState.ASSESSING, assessment_started_at=now)
    results, _ = await late_answers.weighed(tx, case)
    area = context.directory.area(tx.tenant)
    findings = domain.subject_findings(results)
    handed = handoff.parties_elsewhere(case, context.directory, tx.tenant)
    sharing = domain.childrens_sharing(
        consent=case.consent_to_share, findings=findings, behaviour=case.behaviour_of_concern
    )
    for elsewhere in handed:
        await handoff.request_handoff(
            tx, case, elsewhere, sharing=sharing, trigger=trigger, now=now
        )
    children = handoff.children_here(case, handed)  # 3.5: this area's own safeguarding
    # 4.10: the force where the subject lives takes the subject to its probation and forum.
    part = await handoff.responding_part(tx, case)
    subject_here = part.party == "subject" if part else not any(e.subject for e in handed)
    consultations = (
        domain.consultations(
            childrens_social_care=area.childrens_social_care,
            probation=area.probation,
            children=bool(children),
            handed_off=not subject_here,
            consent=case.consent_to_share,
            findings=findings,
            behaviour=case.behaviour_of_concern,
            children_shared=domain.shared_by_owning_force(part.lawful_basis, part.necessity_reason)
            if part
            else None,
        )
        if case.subject is not None
        else ()
    )
    await _consult(
        tx, case, consultations, children=children, trigger=trigger, now=now, context=context
    )
    await complete_if_settled(tx, case, trigger=trigger, now=now, context=context)


async def take_back(
    tx: Transaction,
    case: Case,
    declined: store_requests.Handoff,
    *,
    trigger: Cause,
    now: datetime,
    context: Context,
) -> None:
    """A responding force declined: this force's own children's social care is asked about
    the children it would have taken, so that no child of the case goes unconsidered (3.5)."""
    part = next(
        (
            p
            for p in handoff.parties_elsewhere(case, context.directory, tx.tenant)
            if p.force == declined.responding_force
        ),
        None,
    )
    if part is None or not part.children or case.subject is None:
        return
    results, _ = await late_answers.weighed(tx, case)
    sharing = domain.childrens_sharing(
        consent=case.consent_to_share,
        findings=domain.subject_findings(results),
        behaviour=case.behaviour_of_concern,
    )
    agency = context.directory.area(tx.tenant).childrens_social_care
    await _consult(
        tx,
        case,
        ((agency, AgencyKind.CHILDRENS_SOCIAL_CARE, sharing),),
        children=part.children,
        trigger=trigger,
        now=now,
        context=context,
    )


async def _consult(
    tx: Transaction,
    case: Case,
    weighed: tuple[tuple[str, AgencyKind, domain.SharingDecision], ...],
    *,
    children: tuple[Child, ...],
    trigger: Cause,
    now: datetime,
    context: Context,
) -> None:
    """Ask each agency the sharing decision allows; children's social care about `children`."""
    for agency, kind, sharing in weighed:
        if not sharing.consult:
            log.info("consultation_not_requested", kind=kind.value)
            continue
        await consulting.request_consultation(
            tx,
            case,
            agency=agency,
            kind=kind,
            sharing=sharing,
            trigger=trigger,
            now=now,
            context=context,
            children=children,
        )


async def complete_if_settled(
    tx: Transaction, case: Case, *, trigger: Cause, now: datetime, context: Context
) -> bool:
    """Complete the assessment when every consultation and handoff is answered or overdue."""
    consultations, handoffs = await _asked(tx, case)
    waiting = [c for c in consultations if not c.answer.settled]
    waiting_handoffs = [h for h in handoffs if not h.result.settled]
    if waiting or waiting_handoffs:
        log.info(
            "assessment_waiting_for_answers",
            consultations=len(waiting),
            handoffs=len(waiting_handoffs),
        )
        return False
    await complete(
        tx,
        case,
        answers=tuple(c.answer for c in consultations),
        handoffs=tuple(h.result for h in handoffs),
        trigger=trigger,
        now=now,
        context=context,
    )
    return True


async def complete(
    tx: Transaction,
    case: Case,
    *,
    answers: tuple[AgencyAnswer, ...],
    handoffs: tuple[HandoffResult, ...],
    trigger: Cause,
    now: datetime,
    context: Context,
) -> Assessment:
    """Categorise the case from its records (5.4.7) and put it to a trained officer to sign
    off (5.4.2); where no person is in the pipeline, conclude on it at once."""
    assessment = await _proposed(tx, case, answers=answers, handoffs=handoffs)
    await store.add_assessment(
        tx,
        case_reference=case.case_reference,
        assessment=assessment,
        decided_at=now,
    )
    part = await handoff.responding_part(tx, case)
    # 5.4.2: the officer who signs off is the one who assesses; a force asked only for a
    # child's safeguarding (3.5) assesses nothing and returns what its agencies said.
    assesses = part is None or HandoffAction.RISK_ASSESSMENT in part.actions
    if context.officer_signs_off and assesses:
        await store.update_case(
            tx, case_reference=case.case_reference, state=CaseState.AWAITING_SIGN_OFF
        )
        log.info(
            "risk_assessment_awaiting_sign_off",
            route=assessment.route.value,
            decision=assessment.decision.value,
        )
        return assessment
    await store.update_case(tx, case_reference=case.case_reference, state=CaseState.ASSESSED)
    await conclude(
        tx,
        case,
        assessment,
        answers=answers,
        signed_by=None,
        trigger=trigger,
        now=now,
        context=context,
    )
    return assessment


async def sign_off(
    tx: Transaction,
    case: Case,
    signed: domain.SignOff,
    *,
    signed_by: str,
    now: datetime,
    context: Context,
) -> Assessment:
    """A trained officer signs the full risk assessment off (5.4.2, 5.4.3, Appendix D): their
    categorisation and reasoning go to the forum, or conclude the case (5.4.7, 5.6.12)."""
    consultations, handoffs = await _asked(tx, case)
    answers = tuple(c.answer for c in consultations)
    proposal = await _proposed(
        tx, case, answers=answers, handoffs=tuple(h.result for h in handoffs)
    )
    assessment = domain.signed_off(proposal, signed)
    await store.sign_off_assessment(
        tx,
        case_reference=case.case_reference,
        assessment=assessment,
        signed=signed,
        signed_by=signed_by,
        signed_at=now,
    )
    await store.update_case(tx, case_reference=case.case_reference, state=CaseState.ASSESSED)
    await tx.audit(
        audit.Action.COLLECTION,
        at=now,
        case_ref=case.case_reference,
        reason="5.4.2, Appendix D: the full risk assessment signed off by a trained officer, "
        f"route {assessment.route.value}"
        + (
            ""
            if assessment.route is proposal.route
            else f" (the records showed {proposal.route.value})"
        ),
    )
    await conclude(
        tx,
        case,
        assessment,
        answers=answers,
        signed_by=signed_by,
        trigger=Cause(case.correlation_id),
        now=now,
        context=context,
    )
    return assessment


async def _proposed(
    tx: Transaction,
    case: Case,
    *,
    answers: tuple[AgencyAnswer, ...],
    handoffs: tuple[HandoffResult, ...],
) -> Assessment:
    """What the records, the answers and the late answers show (5.4.4, 5.4.5, 5.5)."""
    results, late = await late_answers.weighed(tx, case)
    return domain.assess(
        results,
        behaviour=case.behaviour_of_concern,
        answers=answers,
        handoffs=handoffs,
        late=late,
    )


async def conclude(
    tx: Transaction,
    case: Case,
    assessment: Assessment,
    *,
    answers: tuple[AgencyAnswer, ...],
    signed_by: str | None,
    trigger: Cause,
    now: datetime,
    context: Context,
) -> None:
    """Publish the completed assessment, then convene a forum, return the findings to the
    owning force, or conclude 'no concerns' at once (5.6.3, 5.6.12, 4.10)."""
    completed = RiskAssessmentCompletedV1(
        case_reference=case.case_reference,
        route=assessment.route,
        categories=assessment.categories,
        subject_meets_mappa_criteria=assessment.meets_mappa,
        rationale=assessment.rationale,
        completed_at=now,
        agencies_not_answered=assessment.not_answered,
        agencies_declined=assessment.declined,
        signed_off_by=signed_by,
    )
    emit(
        tx,
        completed,
        cause=trigger,
        subject=case.case_reference,
        now=now,
    )
    log.info(
        "risk_assessment_completed",
        route=assessment.route.value,
        categories=[c.value for c in assessment.categories],
        decision=assessment.decision.value,
        checks_complete=not assessment.checks_incomplete,
        signed_off=signed_by is not None,
    )
    part = await handoff.responding_part(tx, case)
    convenes = part is None or HandoffAction.FORUM in part.actions
    if assessment.decision is Decision.FORUM and convenes:
        plan = forum.usual_schedule(assessment.forum, case, now=now)
        invitations = forum.invited(
            assessment.forum,
            force=tx.tenant,
            consulted=[answer.agency for answer in answers],
            directory=context.directory,
        )
        await forum.schedule(tx, case, plan, invitations=invitations, trigger=trigger, now=now)
    elif case.responding:
        # 4.10, 3.5: nothing for a forum here, or only a child's safeguarding was asked:
        # what this force found goes back, and the owning force's forum weighs it.
        await handoff.return_findings(
            tx,
            case,
            route=assessment.route,
            forum=None,
            recommend_disclosure=False,
            rationale=assessment.rationale,
            trigger=trigger,
            now=now,
        )
    else:
        responding = assessment.responding
        decided = ForumDecidedV1(
            case_reference=case.case_reference,
            forum=assessment.forum,
            route=assessment.route,
            recommend_disclosure=bool(responding and responding.recommend_disclosure),
            decided_at=now,
            rationale=assessment.rationale,
            decided_by_force=responding.responding_force if responding else None,
            # 5.6.3, 6.2: concluded at once without a meeting, or by the responding force's forum.
            forum_met=assessment.decision is Decision.RESPONDING_FORUM,
        )
        await forum.hand_to_disclosure(tx, case, decided, trigger=trigger, now=now)


async def revise(tx: Transaction, case: Case, *, now: datetime) -> Assessment:
    """Revise what the forum not yet decided weighs with answers that came after the
    assessment: national systems' late answers and agencies' (5.4.4, 5.6.12, 6.3)."""
    results, late = await late_answers.weighed(tx, case)
    consultations, handoffs = await _asked(tx, case)
    scheduled = await store.load_forum(tx, case_reference=case.case_reference)
    revised = domain.reassess_for_forum(
        results,
        late=late,
        behaviour=case.behaviour_of_concern,
        answers=tuple(c.answer for c in consultations),
        handoffs=tuple(h.result for h in handoffs),
        scheduled=scheduled.forum if scheduled else None,
    )
    await store.revise_assessment(
        tx,
        case_reference=case.case_reference,
        assessment=revised,
        revised_at=now,
    )
    await tx.audit(
        audit.Action.ALTERATION,
        at=now,
        case_ref=case.case_reference,
        recipients=(),
        reason="the risk assessment the forum weighs revised with answers that came after it "
        f"(5.4.4, 5.6.12, 6.3): route {revised.route.value}",
    )
    log.info(
        "risk_assessment_revised",
        route=revised.route.value,
        categories=[c.value for c in revised.categories],
        forum=revised.forum.value,
        late_answers=len(late),
    )
    return revised


async def _asked(
    tx: Transaction, case: Case
) -> tuple[list[store_requests.Consultation], list[store_requests.Handoff]]:
    """The case's consultations, and the handoffs it made as the owning force."""
    consultations = await store_requests.consultations_of(tx, case_reference=case.case_reference)
    handoffs = [
        h
        for h in await store_requests.handoffs_of(tx, case_reference=case.case_reference)
        if h.role == OWNING
    ]
    return consultations, handoffs
