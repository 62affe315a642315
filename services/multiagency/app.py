"""The multi-agency service: consultations, forums and cross-force handoff for one force."""

from __future__ import annotations

from pathlib import Path

from services.multiagency.api import create_app
from services.multiagency.handlers import wire
from services.multiagency.messaging import SERVICE
from services.runtime.service import ServiceDefinition

definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire, http=create_app
)
