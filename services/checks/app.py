"""The checks service: PNC, ViSOR, local intelligence and INI checks for one force."""

from __future__ import annotations

from pathlib import Path

from services.checks.handlers import wire
from services.checks.use_cases import SERVICE
from services.runtime.service import ServiceDefinition

definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire
)
