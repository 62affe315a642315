"""The multi-agency service's handler table: checks, particulars, answers and handoffs."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from schemas.multiagency import (
    ConsultationAnsweredV1,
    HandoffAcceptedV1,
    HandoffDeclinedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
)
from services.multiagency import use_cases
from services.multiagency.config import Context
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery
from services.runtime.handlers import HandlerTable
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True)
class Deps:
    """What the multi-agency handlers are given by the composition root (app.py)."""

    clock: Clock
    context: Context


async def on_checks_completed(
    deps: Deps, tx: Transaction, delivery: Delivery[ChecksCompletedV1]
) -> None:
    """A stage's checks: the full risk assessment, consultations or the forum may follow."""
    await use_cases.record_checks(
        tx, checks=delivery.message, cause=delivery.envelope, clock=deps.clock, context=deps.context
    )


async def on_check_answered_late(
    deps: Deps, tx: Transaction, delivery: Delivery[CheckAnsweredLateV1]
) -> None:
    """An answer after its stage's checks completed."""
    await use_cases.record_late_answer(
        tx, late=delivery.message, cause=delivery.envelope, clock=deps.clock
    )


async def on_enquiry_registered(
    deps: Deps, tx: Transaction, delivery: Delivery[EnquiryRegisteredV1]
) -> None:
    """The initial contact's particulars (stage 1)."""
    await use_cases.record_enquiry(
        tx,
        enquiry=delivery.message,
        cause=delivery.envelope,
        clock=deps.clock,
        context=deps.context,
    )


async def on_application_submitted(
    deps: Deps, tx: Transaction, delivery: Delivery[ApplicationSubmittedV1]
) -> None:
    """The application taken at the face to face (stage 2)."""
    await use_cases.record_application(
        tx,
        application=delivery.message,
        cause=delivery.envelope,
        clock=deps.clock,
        context=deps.context,
    )


async def on_consultation_answered(
    deps: Deps, tx: Transaction, delivery: Delivery[ConsultationAnsweredV1]
) -> None:
    """An agency's answer to a consultation."""
    await use_cases.record_consultation_answer(
        tx, answer=delivery.message, cause=delivery.envelope, clock=deps.clock, context=deps.context
    )


async def on_handoff_requested(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffRequestedV1]
) -> None:
    """Another force asks this one to respond for a party who lives here."""
    await use_cases.receive_handoff(
        tx,
        request=delivery.message,
        cause=delivery.envelope,
        clock=deps.clock,
        context=deps.context,
    )


async def on_handoff_accepted(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffAcceptedV1]
) -> None:
    """The responding force took the handoff on."""
    await use_cases.record_handoff_accepted(
        tx, accepted=delivery.message, cause=delivery.envelope, clock=deps.clock
    )


async def on_handoff_declined(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffDeclinedV1]
) -> None:
    """The responding force declined the handoff."""
    await use_cases.record_handoff_declined(
        tx,
        declined=delivery.message,
        cause=delivery.envelope,
        clock=deps.clock,
        context=deps.context,
    )


async def on_handoff_returned(
    deps: Deps, tx: Transaction, delivery: Delivery[HandoffReturnedV1]
) -> None:
    """The responding force's findings came back."""
    await use_cases.record_handoff_returned(
        tx,
        returned=delivery.message,
        cause=delivery.envelope,
        clock=deps.clock,
        context=deps.context,
    )


HANDLERS: HandlerTable[Deps] = {
    ChecksCompletedV1: on_checks_completed,
    CheckAnsweredLateV1: on_check_answered_late,
    EnquiryRegisteredV1: on_enquiry_registered,
    ApplicationSubmittedV1: on_application_submitted,
    ConsultationAnsweredV1: on_consultation_answered,
    HandoffRequestedV1: on_handoff_requested,
    HandoffAcceptedV1: on_handoff_accepted,
    HandoffDeclinedV1: on_handoff_declined,
    HandoffReturnedV1: on_handoff_returned,
}
