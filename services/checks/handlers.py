"""The checks service's subscribers."""

from __future__ import annotations

from schemas import catalogue, topics
from schemas.checks import RequestChecksV1
from services.checks import use_cases
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Subscription, Wiring
from services.runtime.unit_of_work import Transaction


def wire(tenant: str, clock: Clock) -> Wiring:
    """Checks reads intake's check requests and writes the completed checks."""

    async def on_request_checks(tx: Transaction, delivery: Delivery[RequestChecksV1]) -> None:
        await use_cases.run_checks(
            tx, command=delivery.message, cause=delivery.envelope, clock=clock
        )

    requests = Subscription(
        topic=topics.stream(tenant, "intake", "request-checks"),
        routes={RequestChecksV1.TYPE: Route(RequestChecksV1, on_request_checks)},
    )
    return Wiring(
        subscriptions=[requests],
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(use_cases.SERVICE)],
    )
