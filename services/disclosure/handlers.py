"""The disclosure service's handler table: the application, the checks, the forum, INI's flags."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1
from schemas.disclosure import RepeatedRequestsFlaggedV1
from schemas.intake import ApplicationSubmittedV1
from schemas.multiagency import ForumDecidedV1
from services.disclosure import flags, use_cases
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery
from services.runtime.handlers import HandlerTable
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True)
class Deps:
    """What the disclosure handlers are given by the composition root (app.py)."""

    clock: Clock
    # How the force tells a 'no concerns' applicant: by letter (5.6.5, sent at once) rather
    # than by a visit that a person records through the API (5.6.4, best practice).
    no_concerns_by_letter: bool = False


async def on_application_submitted(
    deps: Deps, tx: Transaction, delivery: Delivery[ApplicationSubmittedV1]
) -> None:
    """The application taken at the face to face (stage 2): the case is opened here."""
    await use_cases.note_application(tx, application=delivery.message, cause=delivery.envelope)


async def on_checks_completed(
    deps: Deps, tx: Transaction, delivery: Delivery[ChecksCompletedV1]
) -> None:
    """A stage's check findings, kept for the decision."""
    await use_cases.note_checks(tx, checks=delivery.message, cause=delivery.envelope)


async def on_check_answered_late(
    deps: Deps, tx: Transaction, delivery: Delivery[CheckAnsweredLateV1]
) -> None:
    """An answer that came after its stage's checks completed."""
    await use_cases.note_late_answer(tx, late=delivery.message, cause=delivery.envelope)


async def on_forum_decided(deps: Deps, tx: Transaction, delivery: Delivery[ForumDecidedV1]) -> None:
    """The forum's recommendation: the route the case takes to its decision (5.6)."""
    await use_cases.take_route(
        tx,
        decision=delivery.message,
        cause=delivery.envelope,
        clock=deps.clock,
        no_concerns_by_letter=deps.no_concerns_by_letter,
    )


async def on_repeated_requests(
    deps: Deps, tx: Transaction, delivery: Delivery[RepeatedRequestsFlaggedV1]
) -> None:
    """INI's flag on a subject asked about more than once."""
    envelope = delivery.envelope
    await flags.note_flag(tx, flag=delivery.message, sender=envelope.tenant, source=envelope.source)


HANDLERS: HandlerTable[Deps] = {
    ApplicationSubmittedV1: on_application_submitted,
    ChecksCompletedV1: on_checks_completed,
    CheckAnsweredLateV1: on_check_answered_late,
    ForumDecidedV1: on_forum_decided,
    RepeatedRequestsFlaggedV1: on_repeated_requests,
}
