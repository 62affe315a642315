"""The disclosure service's composition root: the decision, its delivery, and closure."""

from __future__ import annotations

from pathlib import Path

from services.disclosure.api import create_app
from services.disclosure.config import DisclosureSettings
from services.disclosure.handlers import HANDLERS, Deps
from services.disclosure.use_cases import SERVICE
from services.runtime.clock import Clock
from services.runtime.handlers import publishes, subscriptions
from services.runtime.service import ServiceDefinition, Wiring


def wire(tenant: str, clock: Clock) -> Wiring:
    """Disclosure reads the face to face, the checks (late ones too), the forum and INI's flags."""
    settings = DisclosureSettings()
    deps = Deps(clock, no_concerns_by_letter=settings.no_concerns == "letter")
    return Wiring(
        subscriptions=subscriptions(SERVICE, tenant, HANDLERS, deps),
        publishes=publishes(SERVICE, tenant),
    )


definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire, http=create_app
)
