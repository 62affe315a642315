"""The ops service's composition root: the read model, the deadline clocks, the dashboard."""

from __future__ import annotations

from pathlib import Path

from services.ops import use_cases
from services.ops.api import create_app, create_metrics_app
from services.ops.handlers import HANDLERS, Deps
from services.ops.read_model import Progress, consume, processors
from services.ops.use_cases import SERVICE
from services.runtime.clock import Clock
from services.runtime.handlers import publishes, subscriptions
from services.runtime.service import ServiceDefinition, Ticker, Wiring
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database

DEADLINE_TICK_SECONDS = 10.0
RESTART_SECONDS = 2.0  # the read model's consumer, restarted this long after a failure


def wire(tenant: str, clock: Clock) -> Wiring:
    """Ops reads every stream of its force, runs its clocks, and writes warnings and breaches.

    One instance per force, like every service (architecture §5): the runtime's tenant
    walls, the force's broker principal (ACLs on `cso.<force>.`) and its RLS stay as they are.
    The streams are read by one consumer (`read_model.consume`), run as a ticker that never
    returns: the runtime restarts it after a failure and cancels it at shutdown.
    """
    progress = Progress()
    routes = {s.topic: s.routes for s in subscriptions(SERVICE, tenant, HANDLERS, Deps())}

    async def read_model(database: Database) -> None:
        settings = Settings(tenant=tenant)  # the rest from the CSODS_* environment
        by_topic = processors(
            database, tenant=tenant, service=SERVICE, clock=clock, settings=settings, routes=routes
        )
        await consume(settings, by_topic, service=SERVICE, progress=progress)

    async def clocks(database: Database) -> None:
        if not progress.caught_up:
            return  # a lagging model would breach cases whose closure is still unread
        await use_cases.run_deadline_clocks(database, tenant=tenant, clock=clock)

    return Wiring(
        subscriptions=[],
        publishes=publishes(SERVICE, tenant),
        tickers=[
            Ticker("read-model", RESTART_SECONDS, read_model),
            Ticker("deadline-clocks", DEADLINE_TICK_SECONDS, clocks),
        ],
    )


definition = ServiceDefinition(
    name=SERVICE,
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
    http=create_app,
    metrics_http=create_metrics_app,
)
