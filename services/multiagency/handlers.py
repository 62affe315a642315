"""The multi-agency service's subscribers: decode, call a use case; the runtime commits."""

from __future__ import annotations

from dataclasses import replace

from schemas import catalogue, topics
from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from schemas.multiagency import (
    ConsultationAnsweredV1,
    HandoffAcceptedV1,
    HandoffDeclinedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
)
from services.multiagency import timer, use_cases
from services.multiagency.config import Context, MultiagencyConfig, context_of
from services.multiagency.messaging import SERVICE
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Subscription, Wiring
from services.runtime.unit_of_work import Transaction


def wire(tenant: str, clock: Clock) -> Wiring:
    """Wire one force's multi-agency service from its settings, with its deadline timer."""
    config = MultiagencyConfig()
    context = context_of(config)
    wiring = build_wiring(tenant, clock, context)
    if config.timer_seconds <= 0:
        return wiring
    deadlines = timer.ticker(
        tenant=tenant, clock=clock, context=context, every=config.timer_seconds
    )
    return replace(wiring, tickers=(deadlines,))


def build_wiring(tenant: str, clock: Clock, context: Context) -> Wiring:
    """Multi-agency reads checks (and late answers), enquiries, applications and its inbox."""

    async def on_checks_completed(tx: Transaction, delivery: Delivery[ChecksCompletedV1]) -> None:
        await use_cases.record_checks(
            tx, checks=delivery.message, cause=delivery.envelope, clock=clock, context=context
        )

    async def on_check_answered_late(
        tx: Transaction, delivery: Delivery[CheckAnsweredLateV1]
    ) -> None:
        await use_cases.record_late_answer(
            tx, late=delivery.message, cause=delivery.envelope, clock=clock
        )

    async def on_enquiry_registered(
        tx: Transaction, delivery: Delivery[EnquiryRegisteredV1]
    ) -> None:
        await use_cases.record_enquiry(
            tx, enquiry=delivery.message, cause=delivery.envelope, clock=clock, context=context
        )

    async def on_application_submitted(
        tx: Transaction, delivery: Delivery[ApplicationSubmittedV1]
    ) -> None:
        await use_cases.record_application(
            tx, application=delivery.message, cause=delivery.envelope, clock=clock, context=context
        )

    async def on_consultation_answered(
        tx: Transaction, delivery: Delivery[ConsultationAnsweredV1]
    ) -> None:
        await use_cases.record_consultation_answer(
            tx, answer=delivery.message, cause=delivery.envelope, clock=clock, context=context
        )

    async def on_handoff_requested(tx: Transaction, delivery: Delivery[HandoffRequestedV1]) -> None:
        await use_cases.receive_handoff(
            tx, request=delivery.message, cause=delivery.envelope, clock=clock, context=context
        )

    async def on_handoff_accepted(tx: Transaction, delivery: Delivery[HandoffAcceptedV1]) -> None:
        await use_cases.record_handoff_accepted(
            tx, accepted=delivery.message, cause=delivery.envelope, clock=clock
        )

    async def on_handoff_declined(tx: Transaction, delivery: Delivery[HandoffDeclinedV1]) -> None:
        await use_cases.record_handoff_declined(
            tx, declined=delivery.message, cause=delivery.envelope, clock=clock, context=context
        )

    async def on_handoff_returned(tx: Transaction, delivery: Delivery[HandoffReturnedV1]) -> None:
        await use_cases.record_handoff_returned(
            tx, returned=delivery.message, cause=delivery.envelope, clock=clock, context=context
        )

    def stream(service: str, event: str, route: Route) -> Subscription:
        return Subscription(
            topic=topics.stream(tenant, service, event), routes={route.model.TYPE: route}
        )

    inbox = Subscription(
        topic=topics.inbox_prefix(tenant),
        every_sender=True,
        routes={
            ConsultationAnsweredV1.TYPE: Route(ConsultationAnsweredV1, on_consultation_answered),
            HandoffRequestedV1.TYPE: Route(
                HandoffRequestedV1, on_handoff_requested, addressed_to="responding_force"
            ),
            HandoffAcceptedV1.TYPE: Route(HandoffAcceptedV1, on_handoff_accepted),
            HandoffDeclinedV1.TYPE: Route(HandoffDeclinedV1, on_handoff_declined),
            HandoffReturnedV1.TYPE: Route(HandoffReturnedV1, on_handoff_returned),
        },
        ignored=catalogue.inbox_types_for_others(SERVICE),
    )
    return Wiring(
        subscriptions=[
            stream("checks", "checks-completed", Route(ChecksCompletedV1, on_checks_completed)),
            stream(
                "checks",
                "check-answered-late",
                Route(CheckAnsweredLateV1, on_check_answered_late),
            ),
            stream(
                "intake",
                "enquiry-registered",
                Route(EnquiryRegisteredV1, on_enquiry_registered),
            ),
            stream(
                "intake",
                "application-submitted",
                Route(ApplicationSubmittedV1, on_application_submitted),
            ),
            inbox,
        ],
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(SERVICE)],
    )
