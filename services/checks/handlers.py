"""The checks service's handler table: requests, the particulars to check, and the answers."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.checks import CheckAnsweredV1, RequestChecksV1
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from services.checks import use_cases
from services.checks.config import ChecksSettings
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery
from services.runtime.handlers import HandlerTable
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True)
class Deps:
    """What the checks handlers are given by the composition root (app.py)."""

    clock: Clock
    settings: ChecksSettings


async def on_request_checks(
    deps: Deps, tx: Transaction, delivery: Delivery[RequestChecksV1]
) -> None:
    """Intake's or multi-agency's request: the queries go to the systems."""
    await use_cases.request_checks(
        tx,
        command=delivery.message,
        cause=delivery.envelope,
        clock=deps.clock,
        settings=deps.settings,
    )


async def on_check_answered(
    deps: Deps, tx: Transaction, delivery: Delivery[CheckAnsweredV1]
) -> None:
    """A system's answer, from its own inbox topic (which proves the sender)."""
    await use_cases.record_answer(
        tx,
        answer=delivery.message,
        sender=delivery.envelope.tenant,
        clock=deps.clock,
        settings=deps.settings,
    )


async def on_particulars(
    deps: Deps,
    tx: Transaction,
    delivery: Delivery[EnquiryRegisteredV1] | Delivery[ApplicationSubmittedV1],
) -> None:
    """The parties' particulars as intake recorded them: what the queries will ask about."""
    await use_cases.record_particulars(
        tx, event=delivery.message, clock=deps.clock, settings=deps.settings
    )


HANDLERS: HandlerTable[Deps] = {
    RequestChecksV1: on_request_checks,
    CheckAnsweredV1: on_check_answered,
    EnquiryRegisteredV1: on_particulars,
    ApplicationSubmittedV1: on_particulars,
}
