"""The services a process can run, by name."""

from __future__ import annotations

import importlib

from services.runtime.service import ServiceDefinition

# The order a case passes through them.
SERVICES: tuple[str, ...] = ("intake", "checks", "multiagency", "disclosure")


def definition(name: str) -> ServiceDefinition:
    """The definition of a service, imported only when asked for."""
    if name not in SERVICES:
        raise KeyError(f"no service {name!r}; choose one of {', '.join(SERVICES)}")
    module = importlib.import_module(f"services.{name}.app")
    found: ServiceDefinition = module.definition
    return found
