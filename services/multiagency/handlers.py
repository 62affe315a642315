"""The multi-agency service's subscribers."""

from __future__ import annotations

from schemas import catalogue, topics
from schemas.checks import ChecksCompletedV1
from services.multiagency import use_cases
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Subscription, Wiring
from services.runtime.unit_of_work import Transaction


def wire(tenant: str, clock: Clock) -> Wiring:
    """Multi-agency reads completed checks and writes the forum's decisions."""

    async def on_checks_completed(tx: Transaction, delivery: Delivery[ChecksCompletedV1]) -> None:
        await use_cases.decide_route(
            tx, checks=delivery.message, cause=delivery.envelope, clock=clock
        )

    completed = Subscription(
        topic=topics.stream(tenant, "checks", "checks-completed"),
        routes={ChecksCompletedV1.TYPE: Route(ChecksCompletedV1, on_checks_completed)},
    )
    return Wiring(
        subscriptions=[completed],
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(use_cases.SERVICE)],
    )
