"""The checks service's subscribers: decode, call a use case; the runtime commits and acks."""

from __future__ import annotations

from schemas import catalogue, topics
from schemas.checks import CheckAnsweredV1, RequestChecksV1, System
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from services.checks import domain, use_cases
from services.checks.config import ChecksSettings
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Subscription, Ticker, Wiring
from services.runtime.unit_of_work import Database, Transaction


def wire(tenant: str, clock: Clock) -> Wiring:
    """Checks reads the requests, intake's particulars and the systems' answers."""
    settings = ChecksSettings()

    async def on_request_checks(tx: Transaction, delivery: Delivery[RequestChecksV1]) -> None:
        await use_cases.request_checks(
            tx, command=delivery.message, cause=delivery.envelope, clock=clock, settings=settings
        )

    async def on_check_answered(tx: Transaction, delivery: Delivery[CheckAnsweredV1]) -> None:
        await use_cases.record_answer(
            tx,
            answer=delivery.message,
            sender=delivery.envelope.tenant,
            clock=clock,
            settings=settings,
        )

    async def on_enquiry_registered(
        tx: Transaction, delivery: Delivery[EnquiryRegisteredV1]
    ) -> None:
        await use_cases.record_particulars(
            tx, event=delivery.message, clock=clock, settings=settings
        )

    async def on_application_submitted(
        tx: Transaction, delivery: Delivery[ApplicationSubmittedV1]
    ) -> None:
        await use_cases.record_particulars(
            tx, event=delivery.message, clock=clock, settings=settings
        )

    requests = {RequestChecksV1.TYPE: Route(RequestChecksV1, on_request_checks)}
    subscriptions = [
        Subscription(topic=topics.stream(tenant, "intake", "request-checks"), routes=requests),
        Subscription(topic=topics.stream(tenant, "multiagency", "request-checks"), routes=requests),
        Subscription(
            topic=topics.inbox_prefix(tenant),
            every_sender=True,
            routes={CheckAnsweredV1.TYPE: Route(CheckAnsweredV1, on_check_answered)},
            ignored=catalogue.inbox_types_for_others(use_cases.SERVICE),
        ),
        Subscription(
            topic=topics.stream(tenant, "intake", "enquiry-registered"),
            routes={EnquiryRegisteredV1.TYPE: Route(EnquiryRegisteredV1, on_enquiry_registered)},
        ),
        Subscription(
            topic=topics.stream(tenant, "intake", "application-submitted"),
            routes={
                ApplicationSubmittedV1.TYPE: Route(ApplicationSubmittedV1, on_application_submitted)
            },
        ),
    ]

    async def end_waits(database: Database) -> None:
        # A system that never answers sends nothing: the timer ends the waits that are over.
        await use_cases.end_waits(database, tenant=tenant, clock=clock, settings=settings)

    overrides = settings.tenant_overrides()
    return Wiring(
        subscriptions=subscriptions,
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(use_cases.SERVICE)],
        tickers=[Ticker("checks-waits", settings.sweep_seconds, end_waits)],
        destinations=[
            topics.inbox(domain.system_tenant(system, force=tenant, overrides=overrides), tenant)
            for system in (System.PNC, System.VISOR, System.INI, System.LOCAL_INTELLIGENCE)
        ],
    )
