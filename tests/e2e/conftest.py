"""End-to-end fixtures: each service a separate process on the real broker and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from services.catalogue import SERVICES
from services.demo.walking import STAND_INS, skeleton_env, stand_in_tenants
from services.runtime.supervisor import ServiceProcess
from tests.support.stack import FoundStack
from tests.support.staff import ENV as STAFF_ENV

Start = Callable[..., ServiceProcess]
# A force as a case crosses it: the systems its checks ask, then its four services.
WHOLE_FORCE: tuple[str, ...] = (*STAND_INS, *SERVICES)


@pytest.fixture
def start_service(
    stack: FoundStack, database_url: str, tenant: str, tmp_path: Path
) -> Iterator[Start]:
    """Start a service, or a stand-in under its own tenant, for the test's force.

    Every one is stopped at the end.
    """
    started: list[ServiceProcess] = []
    systems = stand_in_tenants(tenant)

    def start(service: str, *, ready: bool = True, **env: str) -> ServiceProcess:
        process = ServiceProcess(
            service,
            systems.get(service, tenant),
            tmp_path / f"{service}-{len(started)}.log",
            {
                **stack.client_env(),
                "CSODS_DATABASE_URL": database_url,
                "CSODS_OUTBOX_POLL_SECONDS": "0.5",
                "CSODS_RETRY_BACKOFF_SECONDS": "0.05",
                # No person in the loop here: the walking skeleton's settings. 'No concerns'
                # needs every system's answer (5.4.4, 5.5.5): the stand-ins answer at once, and
                # one that is not running is waited for seconds, not four hours, and its case
                # then goes to a forum.
                **skeleton_env(tenant),
                "CSODS_CHECKS_ANSWER_WAIT_SECONDS": "20",
                "CSODS_CHECKS_SWEEP_SECONDS": "0.5",
                **STAFF_ENV,
                **env,
            },
        )
        process.start()
        started.append(process)
        if ready:
            process.wait_for_event("service_ready", timeout=90)
        return process

    yield start
    # Stopped together, as they were started: each takes its time to leave its group.
    if started:
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(ServiceProcess.stop, started))


@pytest.fixture
def start_for(stack: FoundStack, database_url: str, tmp_path: Path) -> Iterator[Start]:
    """Start a service or stand-in for any tenant (not waited for); all stopped at the end."""
    started: list[ServiceProcess] = []

    def start(service: str, tenant: str, **env: str) -> ServiceProcess:
        process = ServiceProcess(
            service,
            tenant,
            tmp_path / f"{service}-{tenant}.log",
            {
                **stack.client_env(),
                "CSODS_DATABASE_URL": database_url,
                "CSODS_OUTBOX_POLL_SECONDS": "0.3",
                "CSODS_RETRY_BACKOFF_SECONDS": "0.05",
                **STAFF_ENV,
                **env,
            },
        )
        process.start()
        started.append(process)
        return process

    yield start
    if started:
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(ServiceProcess.stop, started))


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
