"""Fixtures shared by every tier: the stack, a session database, fresh tenants."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import pytest

from deploy.local.databases import create_database, drop_database
from services.runtime.settings import Settings
from tests.support.stack import FoundStack, find_stack
from tests.support.topics import forget

# The tenants handed out this session: their topics are deleted when the session ends.
HANDED_OUT: list[str] = []


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
            asyncio.run(forget(found.kafka_bootstrap, HANDED_OUT))
        finally:
            found.release()


@pytest.fixture(scope="session")
def database_url(stack: FoundStack) -> Iterator[str]:
    """An empty database for this session, dropped at the end."""
    url = asyncio.run(create_database(stack.database_url))
    try:
        yield url
    finally:
        asyncio.run(drop_database(stack.database_url, url))


@pytest.fixture
def tenant() -> str:
    """A force of its own for each test, so tests never share topics or rows."""
    name = f"force{uuid.uuid4().hex[:8]}"
    HANDED_OUT.append(name)
    return name


@pytest.fixture
def settings_for(stack: FoundStack, database_url: str) -> Callable[..., Settings]:
    """Settings of a service instance for a tenant on the session's stack."""

    def make(tenant: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "tenant": tenant,
            "kafka_bootstrap": stack.kafka_bootstrap,
            "database_url": database_url,
            "retry_backoff_seconds": 0.01,
            "outbox_poll_seconds": 0.2,
            "topic_partitions": 1,
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
