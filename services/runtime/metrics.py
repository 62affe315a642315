"""Prometheus metrics of a service process: what it consumed, dead-lettered and has to send."""

from __future__ import annotations

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

REGISTRY_IN_USE: CollectorRegistry = REGISTRY

MESSAGES = Counter(
    "csods_messages",
    "Records processed, by verdict: applied, duplicate, ignored, dead, retry.",
    ["service", "tenant", "topic", "verdict"],
)
DEAD_LETTERS = Counter(
    "csods_dead_letters",
    "Records sent to the dead-letter topic.",
    ["service", "tenant", "topic"],
)
OUTBOX_PENDING = Gauge(
    "csods_outbox_pending",
    "Outbox rows not yet acknowledged by the broker.",
    ["service", "tenant"],
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "csods_outbox_oldest_pending_seconds",
    "Age of the oldest outbox row not yet acknowledged by the broker.",
    ["service", "tenant"],
)


def process_metrics() -> bytes:
    """This process's metrics as exposition text (for a service's own metrics app)."""
    return generate_latest(REGISTRY_IN_USE)
