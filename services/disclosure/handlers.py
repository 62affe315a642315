"""The disclosure service's subscribers."""

from __future__ import annotations

from schemas import catalogue, topics
from schemas.multiagency import ForumDecidedV1
from services.disclosure import use_cases
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Subscription, Wiring
from services.runtime.unit_of_work import Transaction


def wire(tenant: str, clock: Clock) -> Wiring:
    """Disclosure reads the forum's decisions and writes closures."""

    async def on_forum_decided(tx: Transaction, delivery: Delivery[ForumDecidedV1]) -> None:
        await use_cases.take_route(
            tx, decision=delivery.message, cause=delivery.envelope, clock=clock
        )

    decisions = Subscription(
        topic=topics.stream(tenant, "multiagency", "forum-decided"),
        routes={ForumDecidedV1.TYPE: Route(ForumDecidedV1, on_forum_decided)},
    )
    return Wiring(
        subscriptions=[decisions],
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(use_cases.SERVICE)],
    )
