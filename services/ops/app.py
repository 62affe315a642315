"""The ops service: the read model, the deadline clocks and the dashboard of one force."""

from __future__ import annotations

from pathlib import Path

from services.ops.api import create_app, create_metrics_app
from services.ops.handlers import wire
from services.ops.use_cases import SERVICE
from services.runtime.service import ServiceDefinition

definition = ServiceDefinition(
    name=SERVICE,
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
    http=create_app,
    metrics_http=create_metrics_app,
)
