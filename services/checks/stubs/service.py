"""A stand-in as a service: its own process, reached only through its own inbox."""

from __future__ import annotations

from pathlib import Path

from schemas import topics
from schemas.checks import CheckQueryV1, System
from schemas.disclosure import FinalIntelligenceReportV1
from services.checks.stubs import answer, reports
from services.checks.stubs.behaviour import Behaviour
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import ServiceDefinition, Subscription, Wiring
from services.runtime.unit_of_work import Transaction

MIGRATIONS = Path(__file__).parent / "migrations"


def stand_in(system: System, *, name: str) -> ServiceDefinition:
    """The definition of one system's stand-in; `name` is its schema and role."""

    def wire(tenant: str, clock: Clock) -> Wiring:
        behaviour = Behaviour.from_environment()

        async def on_check_query(tx: Transaction, delivery: Delivery[CheckQueryV1]) -> None:
            await answer.answer_query(
                tx,
                system=system,
                query=delivery.message,
                cause=delivery.envelope,
                behaviour=behaviour,
                clock=clock,
            )

        async def on_final_report(
            tx: Transaction, delivery: Delivery[FinalIntelligenceReportV1]
        ) -> None:
            await reports.keep_report(
                tx, report=delivery.message, cause=delivery.envelope, now=clock.now()
            )

        routes = {CheckQueryV1.TYPE: Route(CheckQueryV1, on_check_query)}
        if system is System.INI:  # 6.1: final intelligence reports, retrievable by all forces
            routes[FinalIntelligenceReportV1.TYPE] = Route(
                FinalIntelligenceReportV1, on_final_report
            )
        inbox = Subscription(topic=topics.inbox_prefix(tenant), routes=routes, every_sender=True)
        return Wiring(subscriptions=[inbox])

    return ServiceDefinition(name=name, migrations=MIGRATIONS, wire=wire)
