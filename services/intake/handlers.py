"""Intake's handler table: what each message it reads makes it do (stages 1 to 3)."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.intake import RegisterEnquiryV1
from services.intake import use_cases
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Rejected
from services.runtime.errors import RuleViolation
from services.runtime.handlers import HandlerTable
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True)
class Deps:
    """What intake's handlers are given by the composition root (app.py)."""

    clock: Clock


async def on_register_enquiry(
    deps: Deps, tx: Transaction, delivery: Delivery[RegisterEnquiryV1]
) -> None:
    """An enquiry from the force's online portal: recorded as an initial contact (stage 1)."""
    command = delivery.message
    try:
        await use_cases.record_initial_contact(
            tx,
            details=command,
            submission_id=command.submission_id,
            cause=delivery.envelope,
            clock=deps.clock,
        )
    except RuleViolation as exc:
        raise Rejected(str(exc)) from exc


HANDLERS: HandlerTable[Deps] = {RegisterEnquiryV1: on_register_enquiry}
