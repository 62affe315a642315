"""What the intake service does, one function each."""

from __future__ import annotations

import structlog

from schemas import topics
from schemas.checks import RequestChecksV1
from schemas.envelope import Envelope, caused_by, source_of
from schemas.intake import EnquiryRegisteredV1, RegisterEnquiryV1
from schemas.stages import Stage
from services.intake import domain, store
from services.runtime.clock import Clock
from services.runtime.consumer import Rejected
from services.runtime.unit_of_work import Transaction

SERVICE = "intake"
log = structlog.get_logger(__name__)


async def register_enquiry(
    tx: Transaction, *, command: RegisterEnquiryV1, cause: Envelope, clock: Clock
) -> str:
    """Register an initial contact as a case, set its deadlines, and ask for stage 1 checks."""
    existing = await store.case_for_submission(
        tx.conn, tenant=tx.tenant, submission_id=command.submission_id
    )
    if existing is not None:
        # The same submission sent again under a new message id: one case only.
        log.info("enquiry_already_registered", case=existing)
        return existing
    if command.contact is None:
        raise Rejected("contact: required to register an enquiry (5.1.6)")
    if command.consent is None:
        raise Rejected("consent: required to register an enquiry (5.1.12)")
    now = clock.now()
    number = await store.next_case_number(tx.conn, tenant=tx.tenant, year=command.received_at.year)
    reference = domain.case_reference(tx.tenant, command.received_at.year, number)
    due = domain.deadlines(command.scheme_profile, command.received_at)
    await store.add_enquiry(
        tx.conn,
        tenant=tx.tenant,
        case_reference=reference,
        submission_id=command.submission_id,
        channel=command.channel.value,
        scheme_profile=command.scheme_profile.value,
        received_at=command.received_at,
        registered_at=now,
        due=due,
    )
    source = source_of(tx.tenant, SERVICE)
    registered = EnquiryRegisteredV1(
        case_reference=reference,
        submission_id=command.submission_id,
        channel=command.channel,
        received_at=command.received_at,
        registered_at=now,
        scheme_profile=command.scheme_profile,
        stage1_due_at=due.stage1_due_at,
        risk_assessment_due_at=due.risk_assessment_due_at,
        closure_due_at=due.closure_due_at,
        contact=command.contact,
        consent=command.consent,
        applicant_at_risk=command.applicant_at_risk,
        immediate_risk=command.immediate_risk,
        subject=command.subject,
    )
    tx.emit(
        topics.stream(tx.tenant, SERVICE, "enquiry-registered"),
        registered,
        caused_by(cause, type=registered.TYPE, source=source, time=now, subject=reference),
    )
    # 5.1.9 / 5.1.13: the initial checks belong to stage 1; intake never sees their results.
    request = RequestChecksV1(
        case_reference=reference,
        stage=Stage.INITIAL_CONTACT,
        parties=("subject", "applicant"),
    )
    tx.emit(
        topics.stream(tx.tenant, SERVICE, "request-checks"),
        request,
        caused_by(cause, type=request.TYPE, source=source, time=now, subject=reference),
    )
    log.info("enquiry_registered", case=reference)
    return reference
