"""The disclosure service: the decision, its delivery, and closure for one force."""

from __future__ import annotations

from pathlib import Path

from services.disclosure.api import create_app
from services.disclosure.handlers import wire
from services.disclosure.use_cases import SERVICE
from services.runtime.service import ServiceDefinition

definition = ServiceDefinition(
    name=SERVICE, migrations=Path(__file__).parent / "migrations", wire=wire, http=create_app
)
