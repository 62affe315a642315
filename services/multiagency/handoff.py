"""Cross-force handoff (4.9, 4.10): the owning force asks, the responding force answers.

The request carries only the party's particulars; the applicant, the children and the
contact arrangements stay with the owning force, which also keeps the overall deadline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import structlog

from schemas.base import Message
from schemas.checks import PartyParticulars, RequestChecksV1, System
from schemas.envelope import Envelope
from schemas.multiagency import (
    DecisionRoute,
    Forum,
    HandoffAcceptedV1,
    HandoffAction,
    HandoffDeclinedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
)
from schemas.stages import Stage
from services.multiagency import domain, late_answers, store, store_requests
from services.multiagency.areas import Directory
from services.multiagency.domain import HandoffStatus
from services.multiagency.messaging import emit
from services.multiagency.store import OWNING, RESPONDING, Case, CaseState
from services.multiagency.store_requests import Handoff
from services.runtime import audit
from services.runtime.consumer import Rejected
from services.runtime.emitter import Cause
from services.runtime.numbering import next_case_number
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)

# 4.10: where the subject lives, that force considers and manages disclosure.
SUBJECT_ACTIONS = (HandoffAction.LOCAL_CHECKS, HandoffAction.RISK_ASSESSMENT, HandoffAction.FORUM)
CLOSURE_WITHOUT_ENQUIRY = timedelta(days=45)  # 5.6.27, when the enquiry's deadline is unknown


def responding_force_for(case: Case, directory: Directory, force: str) -> str | None:
    """The force the subject lives in, when it is another known force (4.10)."""
    if case.responding or case.subject is None or not case.subject.addresses:
        return None
    found = directory.force_for(case.subject.addresses[0])  # current address first
    return found if found and found != force and directory.knows(found) else None


def responding_case_reference(force: str, year: int, number: int) -> str:
    """The responding force's own reference for its part of a handed-off case."""
    return f"{force}-ho-{year:04d}-{number:06d}"


async def request_handoff(
    tx: Transaction, case: Case, *, responding_force: str, trigger: Cause, now: datetime
) -> UUID:
    """Ask the responding force to take responsibility for the subject (4.10)."""
    assert case.subject is not None
    handoff_id = uuid4()
    closure_due_at = case.closure_due_at or now + CLOSURE_WITHOUT_ENQUIRY
    request = HandoffRequestedV1(
        handoff_id=handoff_id,
        owning_force=tx.tenant,
        responding_force=responding_force,
        owning_case_reference=case.case_reference,
        party="subject",
        particulars=case.subject,
        actions=SUBJECT_ACTIONS,
        respond_by=domain.handoff_respond_by(now, closure_due_at=closure_due_at),
        closure_due_at=closure_due_at,
    )
    sent = emit(
        tx,
        request,
        to=responding_force,
        cause=trigger,
        subject=case.case_reference,
        now=now,
    )
    await store_requests.add_handoff(
        tx,
        handoff_id=handoff_id,
        role=OWNING,
        case_reference=case.case_reference,
        owning_force=tx.tenant,
        responding_force=responding_force,
        owning_case_reference=case.case_reference,
        party="subject",
        actions=SUBJECT_ACTIONS,
        status=HandoffStatus.REQUESTED,
        requested_at=now,
        respond_by=request.respond_by,
        closure_due_at=closure_due_at,
        request_message_id=sent.id,
    )
    await tx.audit(
        audit.Action.DISCLOSURE,
        at=now,
        case_ref=case.case_reference,
        recipients=(responding_force,),
        reason="4.10: the subject lives in the responding force's area; handed off with the "
        "subject's particulars only",
    )
    log.info("handoff_requested", handoff=str(handoff_id), responding_force=responding_force)
    return handoff_id


async def check_reply(
    tx: Transaction,
    *,
    handoff_id: UUID,
    owning_case_reference: str,
    responding_force: str,
    sender: str,
    allowed: tuple[HandoffStatus, ...],
) -> Handoff:
    """The owning side of a handoff a reply is for; an unknown or closed one is refused."""
    handoff = await store_requests.load_handoff(tx, handoff_id=handoff_id)
    if handoff is None or handoff.role != OWNING:
        raise Rejected(f"handoff_id: {tx.tenant} made no handoff {handoff_id}")
    if sender != handoff.responding_force or responding_force != handoff.responding_force:
        raise Rejected(
            f"responding_force: {sender} was not asked in handoff {handoff_id}; "
            f"{handoff.responding_force} was"
        )
    if owning_case_reference != handoff.owning_case_reference:
        raise Rejected(f"owning_case_reference: handoff {handoff_id} is for another case")
    if handoff.status not in allowed:
        raise Rejected(f"handoff_id: handoff {handoff_id} is closed: it is {handoff.status}")
    return handoff


def check_request(
    request: HandoffRequestedV1, *, sender: str, force: str, directory: Directory
) -> None:
    """Refuse a handoff that no known owning force could have sent."""
    if sender != request.owning_force:
        raise Rejected(f"owning_force: {request.owning_force} differs from the sender {sender}")
    if request.owning_force == force:
        raise Rejected("owning_force: a force does not hand a case to itself")
    if not directory.knows(request.owning_force):
        raise Rejected(f"owning_force: {request.owning_force} is not a force {force} knows")


def decline_reason(request: HandoffRequestedV1, *, force: str, directory: Directory) -> str | None:
    """Why the responding force declines, or None when the party lives in its area (4.10)."""
    addresses = request.particulars.addresses
    if not addresses or directory.force_for(addresses[0]) != force:
        return f"4.10: the party's current address is not in {force}'s area"
    return None


def _to_owning_force(
    tx: Transaction,
    answer: Message,
    *,
    force: str,
    case_reference: str,
    cause: Cause,
    now: datetime,
) -> None:
    """Write to the owning force's inbox, keyed by the owning force's case."""
    emit(tx, answer, to=force, cause=cause, subject=case_reference, now=now)


async def decline(
    tx: Transaction, request: HandoffRequestedV1, *, reason: str, cause: Envelope, now: datetime
) -> None:
    """Decline a handoff with its reason; the owning force keeps the party."""
    await _record_responding_side(
        tx, request, status=HandoffStatus.DECLINED, reference=None, cause=cause, now=now
    )
    declined = HandoffDeclinedV1(
        handoff_id=request.handoff_id,
        owning_case_reference=request.owning_case_reference,
        responding_force=tx.tenant,
        reason=reason,
        declined_at=now,
    )
    _to_owning_force(
        tx,
        declined,
        force=request.owning_force,
        case_reference=request.owning_case_reference,
        cause=Cause.of(cause),
        now=now,
    )
    log.info("handoff_declined", handoff=str(request.handoff_id))


async def accept(
    tx: Transaction, request: HandoffRequestedV1, *, cause: Envelope, now: datetime
) -> str:
    """Accept a handoff under a case of this force's own, linked; ask for its local checks."""
    number = await next_case_number(tx, year=now.year)
    reference = responding_case_reference(tx.tenant, now.year, number)
    await store.open_case(
        tx,
        case_reference=reference,
        correlation_id=cause.correlation_id,
        role=RESPONDING,
        owning_force=request.owning_force,
        owning_case_reference=request.owning_case_reference,
        handoff_id=request.handoff_id,
        respond_by=request.respond_by,
        closure_due_at=request.closure_due_at,
    )
    await store.update_case(tx, case_reference=reference, subject=request.particulars)
    await _record_responding_side(
        tx, request, status=HandoffStatus.ACCEPTED, reference=reference, cause=cause, now=now
    )
    accepted = HandoffAcceptedV1(
        handoff_id=request.handoff_id,
        owning_case_reference=request.owning_case_reference,
        responding_force=tx.tenant,
        responding_case_reference=reference,
        accepted_at=now,
    )
    trigger = Cause.of(cause)
    _to_owning_force(
        tx,
        accepted,
        force=request.owning_force,
        case_reference=request.owning_case_reference,
        cause=trigger,
        now=now,
    )
    if HandoffAction.LOCAL_CHECKS in request.actions:
        checks = RequestChecksV1(
            case_reference=reference,
            stage=Stage.FULL_RISK_ASSESSMENT,
            parties=("subject",),
            systems=(System.LOCAL_INTELLIGENCE,),
            # The responding force's checks have no intake events of this case: send who.
            particulars=(PartyParticulars(party="subject", particulars=request.particulars),),
        )
        emit(
            tx,
            checks,
            cause=trigger,
            subject=reference,
            now=now,
        )
        await store.update_case(tx, case_reference=reference, checks_requested_at=now)
    else:
        # Nothing to check here: the assessment may start on what the owning force sent.
        await store.update_case(
            tx,
            case_reference=reference,
            checks_stage=Stage.FULL_RISK_ASSESSMENT,
            checks_completed_at=now,
        )
    log.info("handoff_accepted", handoff=str(request.handoff_id), case=reference)
    return reference


async def return_findings(
    tx: Transaction,
    case: Case,
    *,
    route: DecisionRoute,
    forum: Forum | None,
    recommend_disclosure: bool,
    rationale: str,
    trigger: Cause,
    now: datetime,
) -> None:
    """Return the responding force's findings and recommendation to the owning force (4.10)."""
    assert case.handoff_id is not None
    assert case.owning_force is not None
    assert case.owning_case_reference is not None
    results, _ = await late_answers.weighed(tx, case)
    returned = HandoffReturnedV1(
        handoff_id=case.handoff_id,
        owning_case_reference=case.owning_case_reference,
        responding_force=tx.tenant,
        responding_case_reference=case.case_reference,
        findings=domain.subject_findings(results),
        forum=forum,
        route=route,
        recommend_disclosure=recommend_disclosure,
        rationale=rationale,
        returned_at=now,
    )
    _to_owning_force(
        tx,
        returned,
        force=case.owning_force,
        case_reference=case.owning_case_reference,
        cause=trigger,
        now=now,
    )
    await store_requests.settle_handoff(
        tx, handoff_id=case.handoff_id, status=HandoffStatus.RETURNED, at=now
    )
    await store.update_case(tx, case_reference=case.case_reference, state=CaseState.RETURNED)
    await tx.audit(
        audit.Action.DISCLOSURE,
        at=now,
        case_ref=case.case_reference,
        recipients=(case.owning_force,),
        reason="4.10: the responding force's findings and recommendation returned to the "
        "owning force",
    )
    log.info("handoff_returned", handoff=str(case.handoff_id), route=route.value)


async def _record_responding_side(
    tx: Transaction,
    request: HandoffRequestedV1,
    *,
    status: HandoffStatus,
    reference: str | None,
    cause: Envelope,
    now: datetime,
) -> None:
    await store_requests.add_handoff(
        tx,
        handoff_id=request.handoff_id,
        role=RESPONDING,
        case_reference=reference or request.owning_case_reference,
        owning_force=request.owning_force,
        responding_force=tx.tenant,
        owning_case_reference=request.owning_case_reference,
        responding_case_reference=reference,
        party=request.party,
        actions=request.actions,
        status=status,
        requested_at=now,
        respond_by=request.respond_by,
        closure_due_at=request.closure_due_at,
        request_message_id=cause.id,
    )
