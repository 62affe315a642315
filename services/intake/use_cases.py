"""What the intake service does, one function each: state, outbox and audit in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from schemas.checks import RequestChecksV1, System
from schemas.envelope import Envelope
from schemas.intake import (
    ApplicationSubmittedV1,
    EnquiryRedirectedV1,
    EnquiryRegisteredV1,
    FaceToFaceDetails,
    InformationPackGivenV1,
    InitialContactDetails,
    IntelligenceReason,
    IntelligenceSubmittedV1,
    PackFormat,
    RegisterEnquiryV1,
)
from schemas.parties import Applicant, Child, RiskAnswer, SubjectParticulars
from schemas.safeguarding import SafeguardingEscalationRaisedV1
from schemas.stages import Stage
from services.intake import domain, store
from services.intake.domain import Route
from services.runtime.audit import Action
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Rejected
from services.runtime.emitter import CaseEmitter, Cause
from services.runtime.errors import CaseNotFound, RuleViolation, WrongStage
from services.runtime.numbering import next_case_number
from services.runtime.unit_of_work import Transaction

SERVICE = "intake"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Deps:
    """What intake's handlers are given by the composition root (app.py)."""

    clock: Clock


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an initial contact became."""

    case_reference: str
    route: Route
    created: bool


async def register_enquiry(
    deps: Deps, tx: Transaction, delivery: Delivery[RegisterEnquiryV1]
) -> None:
    """An enquiry from the force's online portal: recorded as an initial contact (stage 1)."""
    command = delivery.message
    try:
        await record_initial_contact(
            tx,
            details=command,
            submission_id=command.submission_id,
            cause=delivery.envelope,
            clock=deps.clock,
        )
    except RuleViolation as exc:
        raise Rejected(str(exc)) from exc


async def record_initial_contact(
    tx: Transaction,
    *,
    details: InitialContactDetails,
    submission_id: str | None,
    cause: Envelope | None,
    clock: Clock,
) -> Recorded:
    """Record stage 1: register, redirect or submit as intelligence; escalate any risk now."""
    if submission_id is not None:
        existing = await store.case_for_submission(tx, submission_id=submission_id)
        if existing is not None:  # the same submission again: one case only
            return Recorded(existing.case_reference, route_of(existing.status), created=False)
    triage = domain.triage(details)  # raises RuleViolation naming the field and the rule
    now = clock.now()
    year = details.received_at.year
    number = await next_case_number(tx, year=year)
    reference = domain.case_reference(tx.tenant, year, number)
    emitter = (
        CaseEmitter.caused_by(tx, clock, SERVICE, reference, cause)
        if cause is not None
        else CaseEmitter(tx, clock, SERVICE, reference)
    )
    due = domain.deadlines(details.scheme_profile, details.received_at)
    if triage.route is Route.REDIRECT:
        assert details.redirect_to is not None
        assert details.redirect_reason is not None
        main = emitter.emit(
            EnquiryRedirectedV1(
                case_reference=reference,
                route=details.redirect_to,
                reason=details.redirect_reason,
                redirected_at=now,
                applicant=details.applicant,
                subject=details.subject,
                children=details.children,
            ),
        )
    elif triage.route is Route.INTELLIGENCE:
        assert triage.intelligence_reason is not None
        main = _submit_intelligence(
            emitter,
            reference,
            reason=triage.intelligence_reason,
            text=details.request,
            now=now,
            parties=(details.applicant, details.subject, details.children),
        )
    else:
        main = _register(
            emitter,
            reference=reference,
            details=details,
            due=due,
            submission_id=submission_id,
            now=now,
        )
    raised = _escalate(
        emitter,
        reference=reference,
        answers=details.immediate_risk,
        applicant_at_risk=details.applicant_at_risk,
        stage=Stage.INITIAL_CONTACT,
        now=now,
    )
    await store.add_enquiry(
        tx,
        case_reference=reference,
        submission_id=submission_id,
        status=_STATUS[triage.route],
        channel=details.channel.value,
        scheme_profile=details.scheme_profile.value,
        received_at=details.received_at,
        registered_at=now,
        due=due if triage.route is Route.REGISTER else None,
        correlation_id=main.correlation_id,
        last_event_id=main.id,
        initial_contact=details.model_dump(mode="json"),
        escalations=int(raised),
    )
    await tx.audit(
        Action.COLLECTION,
        at=now,
        case_ref=reference,
        recipients=(),
        reason=f"initial contact, {triage.route.value} (5.1)",
    )
    log.info("initial_contact_recorded", case=reference, route=triage.route.value, escalated=raised)
    return Recorded(reference, triage.route, created=True)


def _register(
    emitter: CaseEmitter,
    *,
    reference: str,
    details: InitialContactDetails,
    due: domain.Deadlines,
    submission_id: str | None,
    now: object,
) -> Envelope:
    assert details.contact is not None
    assert details.consent is not None
    main = emitter.emit(
        EnquiryRegisteredV1(
            case_reference=reference,
            submission_id=submission_id,
            channel=details.channel,
            received_at=details.received_at,
            registered_at=now,
            scheme_profile=details.scheme_profile,
            stage1_due_at=due.stage1_due_at,
            face_to_face_due_at=due.face_to_face_due_at,
            risk_assessment_due_at=due.risk_assessment_due_at,
            closure_due_at=due.closure_due_at,
            contact=details.contact,
            consent=details.consent,
            applicant_at_risk=details.applicant_at_risk,
            immediate_risk=details.immediate_risk,
            subject=details.subject,
            applicant=details.applicant,
            children=details.children,
        ),
    )
    parties = domain.parties_known(
        applicant=details.applicant is not None,
        children=tuple(child.party for child in details.children),
        subject=details.subject is not None,
    )
    if parties:
        # 5.1.9: checks are made away from the applicant; intake never sees their results.
        _request_checks(
            emitter, reference, Stage.INITIAL_CONTACT, parties, domain.STAGE_ONE_SYSTEMS
        )
    return main


def _submit_intelligence(
    emitter: CaseEmitter,
    reference: str,
    *,
    reason: IntelligenceReason,
    text: str | None,
    now: object,
    parties: tuple[Applicant | None, SubjectParticulars | None, tuple[Child, ...]],
) -> Envelope:
    summary = text or "Information given without an application: see the case record."
    applicant, subject, children = parties
    return emitter.emit(
        IntelligenceSubmittedV1(
            case_reference=reference,
            reason=reason,
            summary=summary,
            submitted_at=now,
            applicant=applicant,
            subject=subject,
            children=children,
        ),
    )


def _request_checks(
    emitter: CaseEmitter,
    reference: str,
    stage: Stage,
    parties: tuple[str, ...],
    systems: tuple[System, ...],
) -> None:
    emitter.emit(
        RequestChecksV1(
            case_reference=reference,
            stage=stage,
            parties=parties,
            systems=systems,
        ),
    )


def _escalate(
    emitter: CaseEmitter,
    *,
    reference: str,
    answers: tuple[RiskAnswer, ...],
    applicant_at_risk: bool | None,
    stage: Stage,
    now: object,
) -> bool:
    """2.7, 5.1.11, 5.2.14: ACTION MUST BE TAKEN IMMEDIATELY, whatever the route or stage."""
    found = domain.escalation(answers, applicant_at_risk, stage)
    if found is None:
        return False
    emitter.emit(
        SafeguardingEscalationRaisedV1(
            case_reference=reference,
            stage=stage,
            risk=found.risk,
            grounds=found.grounds,
            section_47=found.section_47,
            raised_at=now,
        ),
    )
    log.warning("safeguarding_escalation_raised", case=reference, risk=found.risk.value)
    return True


async def record_application(
    tx: Transaction, *, case_reference: str, details: FaceToFaceDetails, clock: Clock
) -> None:
    """Record stage 2, the face to face, and ask for the stage 2 checks (5.2)."""
    enquiry = await _case_at(tx, case_reference, "registered")
    domain.check_face_to_face(details)
    now = clock.now()
    cause = Cause.resumed(enquiry.correlation_id, enquiry.last_event_id)
    emitter = CaseEmitter(tx, clock, SERVICE, case_reference, cause)
    if domain.face_to_face_is_application(details):
        status = "application-submitted"
        main = emitter.emit(
            ApplicationSubmittedV1(
                case_reference=case_reference,
                **details.model_dump(),
            ),
        )
        parties = domain.parties_known(
            applicant=True,
            children=tuple(child.party for child in details.children),
            subject=True,
        )
        _request_checks(
            emitter, case_reference, Stage.FACE_TO_FACE, parties, domain.STAGE_TWO_SYSTEMS
        )
    else:
        status = "intelligence"
        main = _submit_intelligence(
            emitter,
            case_reference,
            reason=IntelligenceReason.NO_IDENTIFIED_CHILD,
            text=None,
            now=now,
            parties=(details.applicant, details.subject, details.children),
        )
    raised = _escalate(
        emitter,
        reference=case_reference,
        answers=details.immediate_risk,
        applicant_at_risk=None,
        stage=Stage.FACE_TO_FACE,
        now=now,
    )
    await store.record_application(
        tx,
        case_reference=case_reference,
        status=status,
        application=details.model_dump(mode="json"),
        identity_verified=domain.disclosure_possible(details.identity),
        recorded_at=now,
        last_event_id=main.id,
        escalations=int(raised),
    )
    await tx.audit(
        Action.COLLECTION,
        at=now,
        case_ref=case_reference,
        recipients=(),
        reason="face-to-face application (5.2)",
    )
    log.info("application_recorded", case=case_reference, status=status, escalated=raised)


async def record_information_pack(
    tx: Transaction, *, case_reference: str, pack_format: PackFormat, clock: Clock
) -> None:
    """Record stage 3: the applicant was given the information pack (5.3)."""
    enquiry = await _case_at(tx, case_reference, "application-submitted")
    now = clock.now()
    cause = Cause.resumed(enquiry.correlation_id, enquiry.last_event_id)
    emitter = CaseEmitter(tx, clock, SERVICE, case_reference, cause)
    main = emitter.emit(
        InformationPackGivenV1(
            case_reference=case_reference,
            given_at=now,
            format=pack_format,
        ),
    )
    await store.record_pack(
        tx,
        case_reference=case_reference,
        given_at=now,
        pack_format=pack_format.value,
        last_event_id=main.id,
    )


async def read_case(tx: Transaction, *, case_reference: str) -> store.EnquiryRow:
    """A case's intake record; never anything the checks found (5.1.9)."""
    enquiry = await store.get_enquiry(tx, case_reference=case_reference)
    if enquiry is None:
        raise CaseNotFound(case_reference)
    return enquiry


async def _case_at(tx: Transaction, case_reference: str, status: str) -> store.EnquiryRow:
    enquiry = await store.get_enquiry(tx, case_reference=case_reference, for_update=True)
    if enquiry is None:
        raise CaseNotFound(case_reference)
    if enquiry.status != status:
        raise WrongStage(f"case {case_reference} is {enquiry.status}, not {status}")
    return enquiry


_STATUS = {
    Route.REGISTER: "registered",
    Route.REDIRECT: "redirected",
    Route.INTELLIGENCE: "intelligence",
}


def route_of(status: str) -> Route:
    """The route an enquiry took, from its status."""
    return {"redirected": Route.REDIRECT, "intelligence": Route.INTELLIGENCE}.get(
        status, Route.REGISTER
    )
