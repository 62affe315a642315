"""A process started before its broker is up waits for it; a refusal still stops it at once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable

import pytest
import structlog.testing
from aiokafka.errors import KafkaError

from schemas import topics
from services.runtime.broker import require_topics
from services.runtime.kafka_access import access_for
from services.runtime.settings import Settings
from services.runtime.waiting import broker_up
from tests.support.stack import FoundStack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def broker_coming_up(target: str, port: int, *, after: float) -> AsyncIterator[None]:
    """Nothing listens on `port` for `after` seconds; then it forwards to the real broker."""
    host, target_port = target.rsplit(":", 1)

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    servers: list[asyncio.Server] = []

    async def open_later() -> None:
        await asyncio.sleep(after)
        servers.append(await asyncio.start_server(forward, "127.0.0.1", port))

    opening = asyncio.create_task(open_later())
    try:
        yield
    finally:
        opening.cancel()
        for server in servers:
            server.close()


async def test_a_broker_not_up_yet_is_waited_for(
    settings_for: Callable[..., Settings], tenant: str, stack: FoundStack
) -> None:
    access = access_for(settings_for(tenant), "checks")
    port = free_port()
    late = dataclasses.replace(access, bootstrap=f"127.0.0.1:{port}")
    needed = [topics.stream(tenant, "checks", "checks-completed")]
    with structlog.testing.capture_logs() as logs:
        async with broker_coming_up(access.bootstrap, port, after=2.0):
            await broker_up(
                lambda: require_topics(late, needed), bootstrap=late.bootstrap, within=60
            )
    assert "waiting_for_broker" in [entry["event"] for entry in logs]


async def test_a_refusal_is_not_waited_for(
    settings_for: Callable[..., Settings], tenant: str, stack: FoundStack
) -> None:
    access = access_for(settings_for(tenant), "checks")
    wrong = dataclasses.replace(access, password="not-the-password")
    with structlog.testing.capture_logs() as logs, pytest.raises(KafkaError):
        await broker_up(
            lambda: require_topics(wrong, [topics.dead_letters(tenant)]),
            bootstrap=wrong.bootstrap,
            within=60,
        )
    assert "waiting_for_broker" not in [entry["event"] for entry in logs]
