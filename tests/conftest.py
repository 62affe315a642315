"""Fixtures shared by every tier: the stack, a session database, fresh provisioned tenants."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

import pytest

from deploy.local.databases import create_database, drop_database
from services.access.broker import Provisioned
from services.access.broker import provision as provision_on
from services.access.database import deprovision_database, provision_database
from services.access.grants import Deployment
from services.runtime.settings import Settings
from tests.support.schemas import LOGGED_IN
from tests.support.stack import FoundStack, find_stack
from tests.support.topics import deployment_of, forget, new_force

# The tenants provisioned this session: deprovisioned (principals, ACLs, topics) at its end.
HANDED_OUT: list[str] = []
# Test topics have one partition: records of a case come back in the order they were sent.
TEST_PARTITIONS = 1


class Provision(Protocol):
    """Provision a deployment as the operator (idempotent); `keep`: leave it after the session."""

    def __call__(
        self, deployment: Deployment, *, keep: bool = False, partitions: int = TEST_PARTITIONS
    ) -> Provisioned: ...


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything outside tests/unit needs the real stack: mark it so."""
    for item in items:
        if "/unit/" not in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[FoundStack]:
    """The broker and database server for the whole session."""
    found = find_stack()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nstack: {found.how}; kafka at {found.kafka_bootstrap}")
    try:
        yield found
    finally:
        try:
            forget(found, HANDED_OUT)
            deprovision_database(found.database_url, [*HANDED_OUT, *LOGGED_IN], found.credentials)
        finally:
            found.release()


@pytest.fixture(scope="session")
def provision(stack: FoundStack) -> Provision:
    """Make a deployment's topics, principals, ACLs and database logins before any client starts."""
    lock = threading.Lock()  # e2e helpers may provision from threads

    def make(
        deployment: Deployment, *, keep: bool = False, partitions: int = TEST_PARTITIONS
    ) -> Provisioned:
        with lock:
            if not keep:
                HANDED_OUT.extend(t for t in deployment.tenants() if t not in HANDED_OUT)
            # Returns once the broker enforces it all: its clients may start at once.
            made = provision_on(
                stack.operator, deployment, stack.credentials, partitions=partitions
            )
            provision_database(stack.database_url, deployment, stack.credentials)
            return made

    return make


@pytest.fixture(scope="session")
def database_url(stack: FoundStack) -> Iterator[str]:
    """An empty database for this session, dropped at the end."""
    url = asyncio.run(create_database(stack.database_url))
    try:
        yield url
    finally:
        asyncio.run(drop_database(stack.database_url, url))


@pytest.fixture
def tenant(provision: Provision) -> str:
    """A force of its own for each test, so tests never share topics or rows.

    Provisioned with the stand-ins its checks ask and the agencies it consults
    (tests.support.topics.agencies_of). A test of several forces provisions them all in one
    deployment (`provision(deployment_of(first, second))`), so the handoff inboxes between
    them exist too.
    """
    name = new_force()
    provision(deployment_of(name))
    return name


@pytest.fixture
def settings_for(stack: FoundStack, database_url: str) -> Callable[..., Settings]:
    """Settings of a service instance for a tenant on the session's stack."""

    def make(tenant: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "tenant": tenant,
            "kafka_bootstrap": stack.kafka_bootstrap,
            "kafka_ca_file": stack.ca_file,
            "kafka_credentials_dir": stack.credentials.folder,
            "database_url": database_url,
            "retry_backoff_seconds": 0.01,
            "outbox_poll_seconds": 0.2,
            **overrides,
        }
        return Settings.model_validate(values)

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on the real stack and that none of them skipped."""
    ran = skipped = 0
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" and outcome != "skipped":
                continue
            if "integration" in getattr(report, "keywords", {}):
                if outcome == "skipped":
                    skipped += 1
                else:
                    ran += 1
    terminalreporter.write_line(
        f"integration tests on the real broker and database: {ran} ran, {skipped} skipped"
    )
