"""Where the tests find Kafka and PostgreSQL (DESIGN.md section 8).

In order: addresses in CSODS_KAFKA_BOOTSTRAP and CSODS_DATABASE_URL; a Docker engine through
testcontainers; otherwise the project's local stack, started once for the session. Never a
skip: if none of them can be had, the session fails saying why.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FoundStack:
    """A broker and a database server the tests may use, and how to let them go."""

    kafka_bootstrap: str
    database_url: str
    how: str
    release: Callable[[], None]


def find_stack() -> FoundStack:
    """Find or start a stack."""
    kafka, database = os.environ.get("CSODS_KAFKA_BOOTSTRAP"), os.environ.get("CSODS_DATABASE_URL")
    if kafka and database:
        return FoundStack(kafka, database, "environment", lambda: None)
    if _docker_answers():
        return _containers()
    return _local()


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]  # noqa: PLC0415 - only when looking
    except ImportError:
        return False
    try:
        docker.from_env(timeout=3).ping()
    except Exception:  # noqa: BLE001 - any failure means no usable engine
        return False
    return True


def _containers() -> FoundStack:
    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415 - only with Docker
    from testcontainers.postgres import PostgresContainer  # noqa: PLC0415

    kafka = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    postgres = PostgresContainer("postgres:15", username="csods", password="csods", dbname="csods")
    kafka.start()
    postgres.start()

    def release() -> None:
        kafka.stop()
        postgres.stop()

    url = postgres.get_connection_url(driver=None)
    return FoundStack(kafka.get_bootstrap_server(), url, "docker", release)


def _local() -> FoundStack:
    from deploy.local import stack  # noqa: PLC0415 - only without Docker

    addresses, started = stack.up()

    def release() -> None:
        if started:
            stack.down(only=started)

    how = f"local ({'started ' + ', '.join(started) if started else 'already running'})"
    return FoundStack(addresses.kafka_bootstrap, addresses.database_url, how, release)
