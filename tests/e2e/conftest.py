"""End-to-end fixtures: each service a separate process on the real broker and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import asyncpg
import pytest

from services.runtime.supervisor import ServiceProcess
from tests.support.stack import FoundStack

Start = Callable[..., ServiceProcess]


@pytest.fixture
def start_service(
    stack: FoundStack, database_url: str, tenant: str, tmp_path: Path
) -> Iterator[Start]:
    """Start a service process for the test's force; every one is stopped at the end."""
    started: list[ServiceProcess] = []

    def start(service: str, *, ready: bool = True, **env: str) -> ServiceProcess:
        process = ServiceProcess(
            service,
            tenant,
            tmp_path / f"{service}-{len(started)}.log",
            {
                "CSODS_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
                "CSODS_DATABASE_URL": database_url,
                "CSODS_TOPIC_PARTITIONS": "1",
                "CSODS_OUTBOX_POLL_SECONDS": "0.5",
                "CSODS_RETRY_BACKOFF_SECONDS": "0.05",
                # No person in the loop here: 'no concerns' is told by letter (5.6.5), a
                # portal enquiry is assessed without a face to face, and national systems
                # that are not running are waited for two seconds, not four hours.
                "CSODS_DISCLOSURE_NO_CONCERNS": "letter",
                "CSODS_MULTIAGENCY_AWAIT_APPLICATION": "false",
                "CSODS_CHECKS_ANSWER_WAIT_SECONDS": "2",
                "CSODS_CHECKS_SWEEP_SECONDS": "0.5",
                **env,
            },
        )
        process.start()
        started.append(process)
        if ready:
            process.wait_for_event("service_ready", timeout=90)
        return process

    yield start
    for process in started:
        process.stop()


def start_all(start: Start, services: Sequence[str]) -> list[ServiceProcess]:
    """Start several services at once and wait until every one is ready."""
    processes = [start(service, ready=False) for service in services]
    for process in processes:
        process.wait_for_event("service_ready", timeout=90)
    return processes


@pytest.fixture
def count_rows(database_url: str, tenant: str) -> Callable[[str], int]:
    """Count a tenant's rows in a service table, as the owner (outside the services)."""
    import asyncio  # noqa: PLC0415

    def count(table: str) -> int:
        async def query() -> int:
            conn = await asyncpg.connect(database_url)
            try:
                query = f"SELECT count(*) FROM {table} WHERE tenant = $1"
                value = await conn.fetchval(query, tenant)
            finally:
                await conn.close()
            return int(value)

        return asyncio.run(query())

    return count
