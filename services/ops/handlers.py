"""Ops' subscribers: every stream of its force into the read model, and the deadline clocks."""

from __future__ import annotations

from typing import Any

from schemas import catalogue
from schemas.catalogue import Kind, TopicSpec
from services.ops import use_cases
from services.ops.read_model import Progress, consume, processors
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Ticker, Wiring
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, Transaction

DEADLINE_TICK_SECONDS = 10.0
RESTART_SECONDS = 2.0  # the read model's consumer, restarted this long after a failure


def read_streams() -> tuple[TopicSpec, ...]:
    """The streams the read model is projected from: every stream ops is named a reader of."""
    return tuple(spec for spec in catalogue.consumed_by("ops") if spec.kind is Kind.STREAM)


async def on_event(tx: Transaction, delivery: Delivery[Any]) -> None:
    """Any event of a force's streams: merged into the read model."""
    await use_cases.project(tx, envelope=delivery.envelope, message=delivery.message)


def routes(tenant: str) -> dict[str, dict[str, Route]]:
    """Each stream of the force and the message types read from it."""
    return {
        spec.name(tenant): {message.TYPE: Route(message, on_event) for message in spec.messages}
        for spec in read_streams()
    }


def wire(tenant: str, clock: Clock) -> Wiring:
    """Ops reads every stream of its force, runs its clocks, and writes warnings and breaches.

    One instance per force, like every service (architecture §5): the runtime's tenant
    walls, the force's broker principal (ACLs on `cso.<force>.`) and its RLS stay as they are.
    The streams are read by one consumer (`read_model.consume`), run as a ticker that never
    returns: the runtime restarts it after a failure and cancels it at shutdown.
    """

    progress = Progress()

    async def read_model(database: Database) -> None:
        settings = Settings(tenant=tenant)  # the rest from the CSODS_* environment
        by_topic = processors(
            database,
            tenant=tenant,
            service=use_cases.SERVICE,
            clock=clock,
            settings=settings,
            routes=routes(tenant),
        )
        await consume(settings, by_topic, service=use_cases.SERVICE, progress=progress)

    async def clocks(database: Database) -> None:
        if not progress.caught_up:
            return  # a lagging model would breach cases whose closure is still unread
        await use_cases.run_deadline_clocks(database, tenant=tenant, clock=clock)

    return Wiring(
        subscriptions=[],
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(use_cases.SERVICE)],
        tickers=[
            Ticker("read-model", RESTART_SECONDS, read_model),
            Ticker("deadline-clocks", DEADLINE_TICK_SECONDS, clocks),
        ],
    )
