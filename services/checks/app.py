"""The checks service's composition root: PNC, ViSOR, local intelligence and INI checks."""

from __future__ import annotations

from pathlib import Path

from schemas import topics
from schemas.checks import System
from services.checks import domain, use_cases
from services.checks.config import ChecksSettings
from services.checks.handlers import HANDLERS, Deps
from services.checks.use_cases import SERVICE
from services.runtime.clock import Clock
from services.runtime.handlers import publishes, subscriptions
from services.runtime.service import ServiceDefinition, Ticker, Wiring
from services.runtime.unit_of_work import Database


def wire(tenant: str, clock: Clock) -> Wiring:
    """Checks reads the requests, intake's particulars and the systems' answers."""
    settings = ChecksSettings()

    async def end_waits(database: Database) -> None:
        # A system that never answers sends nothing: the timer ends the waits that are over.
        await use_cases.end_waits(database, tenant=tenant, clock=clock, settings=settings)

    overrides = settings.tenant_overrides()
    return Wiring(
        subscriptions=subscriptions(SERVICE, tenant, HANDLERS, Deps(clock, settings)),
        publishes=publishes(SERVICE, tenant),
        tickers=[Ticker("checks-waits", settings.sweep_seconds, end_waits)],
        destinations=[
            topics.inbox(domain.system_tenant(system, force=tenant, overrides=overrides), tenant)
            for system in (System.PNC, System.VISOR, System.INI, System.LOCAL_INTELLIGENCE)
        ],
    )


definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire
)
