"""What the disclosure service does, one function each: state, outbox, audit in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1, Finding
from schemas.disclosure import (
    CaseClosedV1,
    DecisionDetails,
    DeliveryDetails,
    DisclosureDecidedV1,
    DisclosureDeliveredV1,
    Extent,
    FinalIntelligenceReportV1,
    NonDisclosureCommunicatedV1,
    NonDisclosureMethod,
    Outcome,
    ProtectiveAction,
    ProtectiveActionRecordedV1,
)
from schemas.envelope import Envelope
from schemas.intake import ApplicationSubmittedV1, EnquiryRedirectedV1, IntelligenceSubmittedV1
from schemas.multiagency import DecisionRoute, ForumDecidedV1
from schemas.parties import Applicant, Child, SubjectParticulars
from services.disclosure import domain, store
from services.disclosure.config import DisclosureSettings
from services.runtime.audit import Action
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Rejected
from services.runtime.emitter import CaseEmitter, Cause
from services.runtime.errors import CaseNotFound, WrongStage
from services.runtime.unit_of_work import Transaction

SERVICE = "disclosure"
INI_SETTING = "CSODS_DISCLOSURE_INI_TENANT"  # DisclosureSettings.ini_tenant


def ini_tenant() -> str:
    """INI's tenant (6.1): "ini" unless the deployment names another."""
    return DisclosureSettings().ini_tenant


log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Deps:
    """What the use cases that handle messages are given by the composition root (app.py)."""

    clock: Clock
    # How the force tells a 'no concerns' applicant: by letter (5.6.5, sent at once) rather
    # than by a visit that a person records through the API (5.6.4, best practice).
    no_concerns_by_letter: bool = False


async def note_application(
    deps: Deps, tx: Transaction, delivery: Delivery[ApplicationSubmittedV1]
) -> None:
    """Keep what decisions need from the face to face (stage 2), where the case is opened here.

    It brings the verified identity and the applicant.
    """
    application, cause = delivery.message, delivery.envelope
    await _refuse_if_closed(tx, application.case_reference, "face-to-face application")
    await _ensure(tx, application.case_reference, cause)
    await store.update(
        tx,
        case_reference=application.case_reference,
        identity_verified=application.identity.verified,
        applicant=application.applicant.model_dump(mode="json"),
        subject=application.subject.model_dump(mode="json"),
        children=[child.model_dump(mode="json") for child in application.children],
    )


async def note_checks(deps: Deps, tx: Transaction, delivery: Delivery[ChecksCompletedV1]) -> None:
    """Keep what a stage's checks found: the presumption to disclose depends on it (2.4)."""
    checks, cause = delivery.message, delivery.envelope
    await _refuse_if_closed(tx, checks.case_reference, "stage's completed checks")
    await _ensure(tx, checks.case_reference, cause)
    found = [f.model_dump(mode="json") for f in domain.presumption_findings(checks.results)]
    if found:
        await store.add_findings(tx, case_reference=checks.case_reference, findings=found)


async def note_late_answer(
    deps: Deps, tx: Transaction, delivery: Delivery[CheckAnsweredLateV1]
) -> None:
    """Add what a system found after its stage's checks completed: the presumption (2.4) too."""
    late, cause = delivery.message, delivery.envelope
    await _ensure(tx, late.case_reference, cause)
    found = [f.model_dump(mode="json") for f in domain.presumption_findings([late.result])]
    if not found:
        return
    case = await _case(tx, late.case_reference)
    await store.add_findings(tx, case_reference=late.case_reference, findings=found)
    log.info(
        "late_findings_added",
        case=late.case_reference,
        system=late.result.system.value,
        findings=len(found),
        status=case.status,
    )


async def take_route(deps: Deps, tx: Transaction, delivery: Delivery[ForumDecidedV1]) -> None:
    """Record the forum's route (5.6); a 'no concerns' case may be told by letter and closed now."""
    decision, cause, clock = delivery.message, delivery.envelope, deps.clock
    await _refuse_if_closed(tx, decision.case_reference, "forum's decision")
    await _ensure(tx, decision.case_reference, cause)
    status = "awaiting-decision" if decision.route is DecisionRoute.CONCERNS else "no-concerns"
    await store.update(
        tx,
        case_reference=decision.case_reference,
        route=decision.route.value,
        recommend_disclosure=decision.recommend_disclosure,
        forum_inform_subject=decision.inform_subject,
        received_at=clock.now(),
        status=status,
        last_event_id=cause.id,
    )
    log.info("forum_route_taken", case=decision.case_reference, route=decision.route.value)
    if decision.route is DecisionRoute.NO_CONCERNS and deps.no_concerns_by_letter:
        # 5.6.5: the 'no concerns' message may be conveyed by letter, with care where it goes.
        if letter_held(await _case(tx, decision.case_reference)):
            log.info("no_concerns_letter_held", case=decision.case_reference, rule="5.6.5")
            return
        await communicate_non_disclosure(
            tx,
            case_reference=decision.case_reference,
            method=NonDisclosureMethod.LETTER,
            clock=clock,
        )
        await close_case(
            tx,
            case_reference=decision.case_reference,
            withdrawn=False,
            summary="No concerns: non-disclosure letter sent.",
            clock=clock,
        )


async def decide(
    tx: Transaction, *, case_reference: str, details: DecisionDetails, clock: Clock
) -> None:
    """Record the decision: disclose or not, the three tests, recipient, extent (5.6)."""
    case = await _case(tx, case_reference)
    if case.status not in {"awaiting-decision", "no-concerns"}:
        raise WrongStage(f"the case is {case.status}; a decision is taken once (5.6.12)")
    domain.check_decision(
        disclose=details.disclose,
        route=DecisionRoute(case.route) if case.route else None,
        identity_verified=case.identity_verified,
        tests=details.tests,
        recipients=int(details.recipient is not None) + len(details.other_recipients),
        extent=details.extent,
        community_risk_assessment=details.community_risk_assessment_required,
        forum_recommends=case.recommend_disclosure,
        subject_notification_reason=(
            details.subject_notification.reason if details.subject_notification else None
        ),
        inform_subject=(
            details.subject_notification.inform_subject if details.subject_notification else None
        ),
        forum_inform_subject=case.forum_inform_subject,
        likelihood_of_contact=details.likelihood_of_contact,
        data_protection=details.data_protection,
    )
    now = clock.now()
    decided = DisclosureDecidedV1(
        case_reference=case_reference, decided_at=now, **details.model_dump()
    )
    _emitter(tx, clock, case).emit(decided)
    await store.update(
        tx,
        case_reference=case_reference,
        status="decided-disclose" if details.disclose else "decided-no-disclosure",
        decision=details.model_dump(mode="json"),
        decided_at=now,
        extent=details.extent.value if details.extent else None,
    )


async def deliver(
    tx: Transaction, *, case_reference: str, details: DeliveryDetails, clock: Clock
) -> None:
    """Record a disclosure delivered in person, verbatim; audit it to its recipients."""
    case = await _case(tx, case_reference)
    if case.status != "decided-disclose":
        raise WrongStage(
            f"the case is {case.status}: only a case decided for disclosure is delivered (5.6.19)"
        )
    domain.check_delivery(details)  # before the event: its model would refuse it with less
    now = clock.now()
    delivery = DisclosureDeliveredV1(
        case_reference=case_reference, delivered_at=now, **details.model_dump()
    )
    made = domain.delivered(delivery)
    _emitter(tx, clock, case).emit(delivery)
    await store.update(
        tx,
        case_reference=case_reference,
        status="delivered" if made else "undertaking-refused",
        disclosed=made,
        delivered_at=now,
    )
    if made:
        decision = DecisionDetails.model_validate(case.decision)
        recipients = [
            recipient.relationship.value
            for recipient in (decision.recipient, *decision.other_recipients)
            if recipient is not None
        ]
        await tx.audit(
            Action.DISCLOSURE,
            at=now,
            case_ref=case_reference,
            recipients=recipients,
            reason="disclosure under the scheme, three-stage test met (5.6.14)",
        )


async def communicate_non_disclosure(
    tx: Transaction, *, case_reference: str, method: NonDisclosureMethod, clock: Clock
) -> str | None:
    """Tell the applicant there is nothing to disclose (5.6.1-5.6.7); return any letter."""
    case = await _case(tx, case_reference)
    if case.status not in {"no-concerns", "decided-no-disclosure", "undertaking-refused"}:
        raise WrongStage(
            f"the case is {case.status}: non-disclosure is told only when nothing will be "
            "disclosed (5.6.3)"
        )
    letter = None
    reference = None
    if method is NonDisclosureMethod.LETTER:
        letter = domain.non_disclosure_letter(
            name=_applicant_name(case), case_reference=case_reference, force=tx.tenant
        )
        reference = f"NDL-{case_reference}"
    now = clock.now()
    _emitter(tx, clock, case).emit(
        NonDisclosureCommunicatedV1(
            case_reference=case_reference,
            method=method,
            safeguarding_advice_given=True,
            told_no_information_is_not_no_risk=True,
            letter_reference=reference,
            communicated_at=now,
        ),
    )
    await store.update(
        tx,
        case_reference=case_reference,
        status="non-disclosure-communicated",
        non_disclosure={"method": method.value, "letter": letter, "at": now.isoformat()},
    )
    return letter


async def record_protective_action(
    tx: Transaction,
    *,
    case_reference: str,
    actions: tuple[ProtectiveAction, ...],
    description: str,
    clock: Clock,
) -> None:
    """Record protective action for a child, with or without a disclosure (case studies 1, 2)."""
    case = await _case(tx, case_reference)
    if case.closed_at is not None:
        raise WrongStage("the case is closed (6.1)")
    _emitter(tx, clock, case).emit(
        ProtectiveActionRecordedV1(
            case_reference=case_reference,
            actions=actions,
            description=description,
            recorded_at=clock.now(),
        ),
    )
    await store.update(
        tx,
        case_reference=case_reference,
        protective_actions=case.protective_actions + 1,
        protective_action_kinds=sorted(
            {*case.protective_action_kinds, *(action.value for action in actions)}
        ),
    )


async def close_case(
    tx: Transaction, *, case_reference: str, withdrawn: bool, summary: str, clock: Clock
) -> CaseClosedV1:
    """Close the case with its outcome and send the final intelligence report to INI (6.1)."""
    case = await _case(tx, case_reference)
    if case.closed_at is not None:
        raise WrongStage("the case is already closed (6.1)")
    if not withdrawn and _to_be_told(case) and case.subject_told_at is None:
        raise WrongStage(
            "the decision is that the subject is told: tell him in person, with information "
            "about the scheme, and record it before the case closes (5.6.25)"
        )
    if not withdrawn and case.status == "decided-no-disclosure":
        raise WrongStage(
            "the applicant is contacted about the concerns, and given what they need to "
            "safeguard the children, before a case of concerns not disclosed closes: record "
            "it as the non-disclosure conveyed (5.6.15, 5.6.16)"
        )
    if not withdrawn and case.status in {
        "awaiting-forum",
        "awaiting-decision",
        "decided-disclose",
        "no-concerns",
    }:
        raise WrongStage(
            f"the case is {case.status}: decide, deliver or tell the applicant first, or close "
            "it as withdrawn (5.6, 6.1)"
        )
    now = clock.now()
    outcome = domain.outcome(
        domain.CaseRecord(
            disclosed=case.disclosed,
            extent=Extent(case.extent) if case.extent else None,
            protective_actions=case.protective_actions,
            withdrawn=withdrawn,
        )
    )
    route = DecisionRoute(case.route) if case.route else None
    emitter = _emitter(tx, clock, case)
    closed = CaseClosedV1(
        case_reference=case_reference,
        route=route,
        outcome=outcome,
        closed_at=now,
        final_intelligence_report=domain.final_intelligence_report(case_reference),
    )
    emitter.emit(closed)
    report = await _report_to_ini(
        tx, emitter, case, outcome=outcome, route=route, summary=summary, now=now
    )
    await _closed(tx, case_reference, outcome=outcome, report=report, now=now)
    return closed


async def close_redirected(
    deps: Deps, tx: Transaction, delivery: Delivery[EnquiryRedirectedV1]
) -> None:
    """An enquiry sent to another route at intake (3.7) closes here too, with its report (6.1)."""
    ended = delivery.message
    await _close_at_intake(
        deps,
        tx,
        ended,
        delivery.envelope,
        outcome=Outcome.REDIRECTED,
        summary=f"Enquiry redirected to {ended.route.value} (3.7): {ended.reason}",
    )


async def close_as_intelligence(
    deps: Deps, tx: Transaction, delivery: Delivery[IntelligenceSubmittedV1]
) -> None:
    """Information kept as intelligence, not an application (5.2.5), closes here with its
    report (6.1)."""
    ended = delivery.message
    await _close_at_intake(
        deps,
        tx,
        ended,
        delivery.envelope,
        outcome=Outcome.SUBMITTED_AS_INTELLIGENCE,
        summary=f"Submitted as intelligence, {ended.reason.value} (5.2.5): {ended.summary}",
    )


async def _close_at_intake(
    deps: Deps,
    tx: Transaction,
    ended: EnquiryRedirectedV1 | IntelligenceSubmittedV1,
    cause: Envelope,
    *,
    outcome: Outcome,
    summary: str,
) -> None:
    """6.1: every enquiry, whatever the stage and route, closes with a final intelligence
    report to INI naming every party given."""
    await _ensure(tx, ended.case_reference, cause)
    case = await _case(tx, ended.case_reference)
    if case.closed_at is not None:
        log.info("closed_already", case=case.case_reference)
        return
    await store.update(
        tx,
        case_reference=case.case_reference,
        applicant=_json(ended.applicant) or case.applicant,
        subject=_json(ended.subject) or case.subject,
        children=[child.model_dump(mode="json") for child in ended.children] or case.children,
    )
    case = await _case(tx, ended.case_reference)
    now = deps.clock.now()
    emitter = CaseEmitter.caused_by(tx, deps.clock, SERVICE, case.case_reference, cause)
    report = await _report_to_ini(
        tx, emitter, case, outcome=outcome, route=None, summary=summary, now=now
    )
    await _closed(tx, case.case_reference, outcome=outcome, report=report, now=now)


async def _closed(
    tx: Transaction, case_reference: str, *, outcome: Outcome, report: str, now: datetime
) -> None:
    await store.update(
        tx,
        case_reference=case_reference,
        status="closed",
        outcome=outcome.value,
        final_intelligence_report=report,
        closed_at=now,
    )
    log.info("case_closed", case=case_reference, outcome=outcome.value)


async def _report_to_ini(
    tx: Transaction,
    emitter: CaseEmitter,
    case: store.CaseRow,
    *,
    outcome: Outcome,
    route: DecisionRoute | None,
    summary: str,
    now: datetime,
) -> str:
    """Send the case's final intelligence report to INI with every party known (6.1)."""
    report = domain.final_intelligence_report(case.case_reference)
    emitter.emit(
        FinalIntelligenceReportV1(
            report_reference=report,
            force=tx.tenant,
            case_reference=case.case_reference,
            subject=SubjectParticulars.model_validate(case.subject) if case.subject else None,
            applicant=Applicant.model_validate(case.applicant) if case.applicant else None,
            children=tuple(Child.model_validate(child) for child in case.children or ()),
            route=route,
            outcome=outcome,
            summary=summary,
            closed_at=now,
        ),
        to=ini_tenant(),
    )
    await tx.audit(
        Action.DISCLOSURE,
        at=now,
        case_ref=case.case_reference,
        recipients=(ini_tenant(),),
        reason="final intelligence report, retrievable by all forces (6.1)",
    )
    return report


def _json(part: Applicant | SubjectParticulars | None) -> dict[str, Any] | None:
    return part.model_dump(mode="json") if part is not None else None


async def record_subject_told(tx: Transaction, *, case_reference: str, clock: Clock) -> None:
    """The subject was told of the disclosure in person, with information about the scheme and
    what it means for him, as the forum decided (5.6.17, 5.6.25)."""
    case = await _case(tx, case_reference)
    if case.closed_at is not None:
        raise WrongStage("the case is closed (6.1)")
    if not _to_be_told(case):
        raise WrongStage(
            "the decision is not to tell the subject; only the forum may change it (5.6.17)"
        )
    if case.subject_told_at is not None:
        raise WrongStage("the subject's being told is recorded already (5.6.25)")
    now = clock.now()
    await store.update(tx, case_reference=case_reference, subject_told_at=now)
    await tx.audit(
        Action.DISCLOSURE,
        at=now,
        case_ref=case_reference,
        recipients=("subject",),
        reason="5.6.25: the subject told in person of the disclosure, with information about "
        "the scheme and its implications for him",
    )


def _to_be_told(case: store.CaseRow) -> bool:
    notification = (case.decision or {}).get("subject_notification") or {}
    return bool(
        case.decision and case.decision.get("disclose") and notification.get("inform_subject")
    )


async def read_case(tx: Transaction, *, case_reference: str) -> store.CaseRow:
    """The disclosure record of a case."""
    return await _case(tx, case_reference, lock=False)


async def letter_sent(tx: Transaction, *, case_reference: str) -> str | None:
    """The 'no concerns' letter sent for a case, if one was."""
    case = await _case(tx, case_reference, lock=False)
    return await store.letter(tx, case_reference=case.case_reference)


def letter_held(case: store.CaseRow) -> str | None:
    """Why the 'no concerns' letter waits for an officer, or None (5.6.5, 5.1.6)."""
    return domain.no_concerns_letter_held(
        Applicant.model_validate(case.applicant) if case.applicant else None,
        SubjectParticulars.model_validate(case.subject) if case.subject else None,
    )


def presumption(case: store.CaseRow) -> bool:
    """Whether the presumption to disclose applies, given what the checks found (2.2, 2.4).

    A risk of serious harm is taken from the forum's recommendation to disclose.
    """
    findings = [Finding.model_validate(item) for item in case.findings or []]
    return domain.presumption_to_disclose(
        findings, risk_of_serious_harm=bool(case.recommend_disclosure)
    )


async def _refuse_if_closed(tx: Transaction, case_reference: str, what: str) -> None:
    """A closed case stays closed: nothing that arrives later reopens or moves it (6.1)."""
    case = await store.get(tx, case_reference=case_reference)
    if case is not None and case.closed_at is not None:
        raise Rejected(f"case_reference: the case is closed (6.1); a {what} cannot move it")


async def _ensure(tx: Transaction, case_reference: str, cause: Envelope) -> None:
    await store.ensure(
        tx,
        case_reference=case_reference,
        correlation_id=cause.correlation_id,
        event_id=cause.id,
    )


async def _case(tx: Transaction, case_reference: str, *, lock: bool = True) -> store.CaseRow:
    case = await store.get(tx, case_reference=case_reference, for_update=lock)
    if case is None:
        raise CaseNotFound(case_reference)
    return case


def _emitter(tx: Transaction, clock: Clock, case: store.CaseRow) -> CaseEmitter:
    cause = Cause.resumed(case.correlation_id, case.last_event_id)
    return CaseEmitter(tx, clock, SERVICE, case.case_reference, cause)


def _applicant_name(case: store.CaseRow) -> str:
    name = (case.applicant or {}).get("name") or {}
    parts = [*name.get("forenames", []), name.get("surname") or ""]
    return " ".join(part for part in parts if part) or "Applicant"
