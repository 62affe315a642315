"""The multi-agency service's composition root: consultations, forums and handoffs."""

from __future__ import annotations

from pathlib import Path

from services.multiagency import timer
from services.multiagency.api import create_app
from services.multiagency.config import MultiagencyConfig, context_of
from services.multiagency.handlers import HANDLERS, Deps
from services.multiagency.messaging import SERVICE
from services.runtime.clock import Clock
from services.runtime.handlers import publishes, subscriptions
from services.runtime.service import ServiceDefinition, Wiring


def wire(tenant: str, clock: Clock) -> Wiring:
    """Multi-agency reads checks, enquiries, applications and its inbox; times its deadlines."""
    config = MultiagencyConfig()
    context = context_of(config)
    deadlines = (
        (timer.ticker(tenant=tenant, clock=clock, context=context, every=config.timer_seconds),)
        if config.timer_seconds > 0
        else ()
    )
    return Wiring(
        subscriptions=subscriptions(SERVICE, tenant, HANDLERS, Deps(clock, context)),
        publishes=publishes(SERVICE, tenant),
        tickers=deadlines,
    )


definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire, http=create_app
)
