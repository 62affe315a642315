"""Cross-force handoff (4.9, 4.10): the owning force asks, the responding force answers.

The request carries only the party's particulars; the applicant, the children and the
contact arrangements stay with the owning force, which also keeps the overall deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
    LawfulBasis,
)
from schemas.parties import Address, Child
from schemas.stages import Stage
from services.multiagency import domain, late_answers, store, store_requests
from services.multiagency.areas import Directory
from services.multiagency.domain import HandoffStatus, SharingDecision
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


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """The parties of a case who live in another force's area, which responds for them (4.10).

    The applicant never travels: the force applied to owns the enquiry (4.9).
    """

    force: str
    subject: bool
    children: tuple[Child, ...] = ()

    @property
    def party(self) -> str:
        """The party the handoff is for: the subject, else the first child."""
        return "subject" if self.subject else self.children[0].party

    @property
    def actions(self) -> tuple[HandoffAction, ...]:
        """The subject's checks, assessment and forum; a child's safeguarding (3.5)."""
        safeguarding = (HandoffAction.SAFEGUARDING,) if self.children else ()
        return (*(SUBJECT_ACTIONS if self.subject else ()), *safeguarding)


def parties_elsewhere(case: Case, directory: Directory, force: str) -> tuple[Elsewhere, ...]:
    """Each other known force where a party of the case lives, with its parties (4.10, 3.5).

    The subject's current address is the first. A child with no address of its own lives
    with the applicant, in this force's area. An address no known force covers stays here.
    """
    if case.responding or case.subject is None:
        return ()

    def elsewhere(address: Address | None) -> str | None:
        found = directory.force_for(address) if address is not None else None
        return found if found and found != force and directory.knows(found) else None

    subject_at = elsewhere(case.subject.addresses[0] if case.subject.addresses else None)
    children: dict[str, list[Child]] = {}
    for child in case.children:
        at = elsewhere(child.address)
        if at is not None:
            children.setdefault(at, []).append(child)
    forces = sorted({*children, *([subject_at] if subject_at else [])})
    return tuple(
        Elsewhere(other, subject=other == subject_at, children=tuple(children.get(other, ())))
        for other in forces
    )


def children_here(case: Case, handed: Iterable[Elsewhere]) -> tuple[Child, ...]:
    """The children of the case no responding force takes: this force's own (3.5)."""
    away = {child.party for part in handed for child in part.children}
    return tuple(child for child in case.children if child.party not in away)


def responding_case_reference(force: str, year: int, number: int) -> str:
    """The responding force's own reference for its part of a handed-off case."""
    return f"{force}-ho-{year:04d}-{number:06d}"


async def request_handoff(
    tx: Transaction,
    case: Case,
    part: Elsewhere,
    *,
    sharing: SharingDecision,
    trigger: Cause,
    now: datetime,
) -> UUID:
    """Ask the responding force to take responsibility for the parties who live there (4.10);
    the children go with the basis on which their case may be shared (5.4.5)."""
    assert case.subject is not None
    basis = sharing.basis if part.children and sharing.consult else None
    handoff_id = uuid4()
    closure_due_at = case.closure_due_at or now + CLOSURE_WITHOUT_ENQUIRY
    request = HandoffRequestedV1(
        handoff_id=handoff_id,
        owning_force=tx.tenant,
        responding_force=part.force,
        owning_case_reference=case.case_reference,
        party=part.party,
        particulars=case.subject,
        children=part.children,
        actions=part.actions,
        lawful_basis=basis,
        necessity_reason=sharing.reason if basis is LawfulBasis.NECESSITY else None,
        respond_by=domain.handoff_respond_by(now, closure_due_at=closure_due_at),
        closure_due_at=closure_due_at,
    )
    sent = emit(
        tx,
        request,
        to=part.force,
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
        responding_force=part.force,
        owning_case_reference=case.case_reference,
        party=part.party,
        actions=part.actions,
        status=HandoffStatus.REQUESTED,
        requested_at=now,
        respond_by=request.respond_by,
        closure_due_at=closure_due_at,
        request_message_id=sent.id,
    )
    who = " and ".join(
        (["the subject"] if part.subject else [])
        + ([f"{len(part.children)} child(ren)"] if part.children else [])
    )
    await tx.audit(
        audit.Action.DISCLOSURE,
        at=now,
        case_ref=case.case_reference,
        recipients=(part.force,),
        reason=f"4.10: {who} of the case live in the responding force's area; handed off with "
        "the subject's particulars and those children's only",
    )
    log.info(
        "handoff_requested",
        handoff=str(handoff_id),
        responding_force=part.force,
        subject=part.subject,
        children=len(part.children),
    )
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
    """Why the responding force declines, or None when every party sent lives in its area
    (4.10): the subject at its current address, each child at its own."""
    here: list[Address | None] = [child.address for child in request.children]
    if request.party == "subject":
        here.insert(0, request.particulars.addresses[0] if request.particulars.addresses else None)
    if any(address is None or directory.force_for(address) != force for address in here):
        return f"4.10: a party's current address is not in {force}'s area"
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
    await store.update_case(
        tx, case_reference=reference, subject=request.particulars, children=request.children
    )
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


async def responding_part(tx: Transaction, case: Case) -> Handoff | None:
    """The handoff a responding case answers: its party and what was asked; None when this
    force owns the case."""
    if not case.responding or case.handoff_id is None:
        return None
    return await store_requests.load_handoff(tx, handoff_id=case.handoff_id)


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
    consulted = await store_requests.consultations_of(tx, case_reference=case.case_reference)
    plans = [c.answer.child_protection_plan for c in consulted]
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
        child_protection_plan=any(plans) if any(p is not None for p in plans) else None,
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
        lawful_basis=request.lawful_basis,
        necessity_reason=request.necessity_reason,
        status=status,
        requested_at=now,
        respond_by=request.respond_by,
        closure_due_at=request.closure_due_at,
        request_message_id=cause.id,
    )
