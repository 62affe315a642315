"""The processes `csods run` can start, by name: the four services and the stand-ins."""

from __future__ import annotations

import importlib

from services.runtime.service import ServiceDefinition

# The order a case passes through them.
SERVICES: tuple[str, ...] = ("intake", "checks", "multiagency", "disclosure")

# Stand-ins for external systems: each a separate process answering on its own inbox.
STUBS: dict[str, str] = {
    "pnc": "services.checks.stubs.pnc",
    "visor": "services.checks.stubs.visor",
    "ini": "services.checks.stubs.ini",
    "local-intelligence": "services.checks.stubs.local_intelligence",
    "childrens-social-care": "services.multiagency.stubs.childrens_social_care",
    "probation": "services.multiagency.stubs.probation",
}

RUNNABLE: dict[str, str] = {
    **{name: f"services.{name}.app" for name in SERVICES},
    "ops": "services.ops.app",
    **STUBS,
}


def definition(name: str) -> ServiceDefinition:
    """The definition of a service or stand-in, imported only when asked for."""
    if name not in RUNNABLE:
        raise KeyError(f"no service {name!r}; choose one of {', '.join(RUNNABLE)}")
    module = importlib.import_module(RUNNABLE[name])
    found: ServiceDefinition = module.definition
    return found
