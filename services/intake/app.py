"""The intake service: stages 1 to 3 of the scheme for one force, by messages and over HTTP."""

from __future__ import annotations

from pathlib import Path

from services.intake.api import create_app
from services.intake.handlers import wire
from services.intake.use_cases import SERVICE
from services.runtime.service import ServiceDefinition

definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire, http=create_app
)
