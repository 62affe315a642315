"""The ops service's composition root: the read model, the deadline clocks, the dashboard."""

from __future__ import annotations

from pathlib import Path

from services.ops import use_cases
from services.ops.api import create_app, create_metrics_app
from services.ops.handlers import HANDLERS, Deps
from services.ops.use_cases import SERVICE
from services.runtime.clock import Clock
from services.runtime.consuming import Progress
from services.runtime.handlers import publishes, subscriptions
from services.runtime.service import ServiceDefinition, Ticker, Wiring
from services.runtime.unit_of_work import Database

DEADLINE_TICK_SECONDS = 10.0


def wire(tenant: str, clock: Clock) -> Wiring:
    """Ops reads every stream of its force, runs its clocks, and writes warnings and breaches.

    One instance per force, like every service (architecture §5): the runtime's tenant
    walls, the force's broker principal (ACLs on `cso.<force>.`) and its RLS stay as they are.
    The streams are read by the runtime's one consumer, as every service reads its topics;
    the clocks wait until it has caught up.
    """
    progress = Progress()

    async def clocks(database: Database) -> None:
        if not progress.caught_up:
            return  # a lagging model would breach cases whose closure is still unread
        await use_cases.run_deadline_clocks(database, tenant=tenant, clock=clock)

    return Wiring(
        subscriptions=subscriptions(SERVICE, tenant, HANDLERS, Deps()),
        publishes=publishes(SERVICE, tenant),
        tickers=[Ticker("deadline-clocks", DEADLINE_TICK_SECONDS, clocks)],
        progress=progress,
    )


definition = ServiceDefinition(
    name=SERVICE,
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
    http=create_app,
    metrics_http=create_metrics_app,
)
