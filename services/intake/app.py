"""The intake service's composition root: stages 1 to 3 of the scheme for one force."""

from __future__ import annotations

from pathlib import Path

from services.intake.api import create_app
from services.intake.handlers import HANDLERS, Deps
from services.intake.use_cases import SERVICE
from services.runtime.clock import Clock
from services.runtime.handlers import publishes, subscriptions
from services.runtime.service import ServiceDefinition, Wiring


def wire(tenant: str, clock: Clock) -> Wiring:
    """Intake reads its force's inbox (online-portal enquiries) and writes the stage streams."""
    return Wiring(
        subscriptions=subscriptions(SERVICE, tenant, HANDLERS, Deps(clock)),
        publishes=publishes(SERVICE, tenant),
    )


definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire, http=create_app
)
