"""Intake's subscribers: decode, call a use case; the runtime commits and acknowledges."""

from __future__ import annotations

from schemas import catalogue, topics
from schemas.intake import RegisterEnquiryV1
from services.intake import use_cases
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Rejected, Route
from services.runtime.errors import RuleViolation
from services.runtime.service import Subscription, Wiring
from services.runtime.unit_of_work import Transaction


def wire(tenant: str, clock: Clock) -> Wiring:
    """Intake reads its force's inbox (online-portal enquiries) and writes the stage streams."""

    async def on_register_enquiry(tx: Transaction, delivery: Delivery[RegisterEnquiryV1]) -> None:
        command = delivery.message
        try:
            await use_cases.record_initial_contact(
                tx,
                details=command,
                submission_id=command.submission_id,
                cause=delivery.envelope,
                clock=clock,
            )
        except RuleViolation as exc:
            raise Rejected(str(exc)) from exc

    inbox = Subscription(
        topic=topics.inbox_prefix(tenant),
        every_sender=True,
        routes={
            RegisterEnquiryV1.TYPE: Route(
                RegisterEnquiryV1, on_register_enquiry, addressed_to="force"
            ),
        },
        ignored=catalogue.inbox_types_for_others(use_cases.SERVICE),
    )
    return Wiring(
        subscriptions=[inbox],
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(use_cases.SERVICE)],
    )
