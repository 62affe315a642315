"""The outbox relay on the real broker: published once acked, rebuilt after a fatal error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import structlog.testing
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas import topics
from services.runtime.broker import start_producer
from services.runtime.kafka_access import KafkaAccess, access_for
from services.runtime.outbox import OutgoingRecord
from services.runtime.relay import OutboxRelay
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, open_database
from tests.support.schemas import runtime_schema
from tests.support.stack import FoundStack

SERVICE = "relaytest"


@pytest.fixture
async def database(settings_for: Callable[..., Settings], tenant: str) -> AsyncIterator[Database]:
    settings = settings_for(tenant)
    await runtime_schema(settings, SERVICE)
    db = await open_database(dsn=app_dsn(settings, SERVICE), schema=SERVICE, size=3)
    yield db
    await db.pool.close()


async def emit(database: Database, tenant: str, topic: str, values: list[bytes]) -> None:
    async with database.transaction(tenant) as tx:
        for value in values:
            tx.emit_record(
                OutgoingRecord(topic=topic, key=b"case", headers=[("ce_id", value)], value=value)
            )


def things(tenant: str) -> str:
    """A stream the tenant's checks service may write (the relay is not told which)."""
    return topics.stream(tenant, "checks", "checks-requested")


async def read_all(reader: KafkaAccess, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, **reader.aiokafka(), group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < expected:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    seen.extend(record.value for record in records)
        # A little longer, to see anything published twice.
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            seen.extend(record.value for record in records)
    finally:
        await consumer.stop()
    return seen


async def test_relay_publishes_in_order_and_marks_rows_sent(
    database: Database, settings_for: Callable[..., Settings], tenant: str, stack: FoundStack
) -> None:
    access = access_for(settings_for(tenant), "checks")
    topic = things(tenant)
    values = [f"m{i:03d}".encode() for i in range(25)]
    await emit(database, tenant, topic, values)
    relay = OutboxRelay(
        database=database,
        tenant=tenant,
        producer_factory=lambda: start_producer(access, client_id="relay-test"),
        batch=10,
        poll_seconds=0.1,
    )
    assert await relay.pending() == 25
    sent = [await relay.publish_pending() for _ in range(4)]
    assert sent == [10, 10, 5, 0]
    assert await relay.pending() == 0
    assert await read_all(stack.operator, topic, 25) == values
    relay.stop()
    await relay.run()  # stops at once and closes its producer


class BrokenProducer:
    """A producer that has failed fatally: every send raises."""

    stopped = False

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        raise KafkaError("producer fenced")

    async def stop(self) -> None:
        self.stopped = True


async def test_relay_rebuilds_its_producer_after_a_fatal_error_and_loses_nothing(
    database: Database, settings_for: Callable[..., Settings], tenant: str, stack: FoundStack
) -> None:
    access = access_for(settings_for(tenant), "checks")
    topic = things(tenant)
    broken = BrokenProducer()
    made: list[object] = []

    async def factory() -> AIOKafkaProducer:
        made.append(object())
        if len(made) == 1:
            return broken  # stands in for a fenced producer (aiokafka is untyped)
        return await start_producer(access, client_id="relay-test")

    relay = OutboxRelay(
        database=database, tenant=tenant, producer_factory=factory, batch=50, poll_seconds=0.1
    )
    await emit(database, tenant, topic, [b"a", b"b", b"c"])
    task = asyncio.create_task(relay.run())
    try:
        assert await read_all(stack.operator, topic, 3) == [b"a", b"b", b"c"]
        await emit(database, tenant, topic, [b"d"])  # woken by NOTIFY, not by a poll
        assert await read_all(stack.operator, topic, 4) == [b"a", b"b", b"c", b"d"]
    finally:
        relay.stop()
        await task
    assert broken.stopped
    assert len(made) == 2
    assert await relay.pending() == 0


class UnansweredProducer:
    """A producer whose broker has gone: it takes every record and never acknowledges one."""

    def __init__(self) -> None:
        self.stopped = False

    async def send(self, *_: Any, **__: Any) -> asyncio.Future[None]:
        return asyncio.get_running_loop().create_future()

    async def stop(self) -> None:
        self.stopped = True


async def test_a_broker_that_never_acknowledges_holds_no_transaction_and_is_reported(
    database: Database, settings_for: Callable[..., Settings], tenant: str, stack: FoundStack
) -> None:
    access = access_for(settings_for(tenant), "checks")
    topic = things(tenant)
    gone = UnansweredProducer()
    made: list[object] = []

    async def factory() -> AIOKafkaProducer:
        made.append(object())
        if len(made) == 1:
            return gone  # stands in for a broker that went away (aiokafka is untyped)
        return await start_producer(access, client_id="relay-test")

    await emit(database, tenant, topic, [b"a", b"b", b"c"])
    relay = OutboxRelay(
        database=database,
        tenant=tenant,
        producer_factory=factory,
        batch=50,
        poll_seconds=0.1,
        ack_timeout_seconds=0.5,
        stalled_after_seconds=0.0,
    )
    # One round against the broker that is gone: rolled back at the limit, rows unlocked.
    with pytest.raises(KafkaError):
        await relay.publish_pending()
    async with database.transaction(tenant) as tx:
        claimable = await tx.conn.fetch(
            "SELECT id FROM outbox WHERE sent_at IS NULL FOR UPDATE SKIP LOCKED"
        )
        open_elsewhere = await tx.conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()",
            f"csods-{SERVICE}",
        )
    assert len(claimable) == 3
    assert open_elsewhere == 0

    # Run as a service does: the failure is an error an operator sees, the producer is
    # rebuilt, and every row is published once the broker answers.
    await relay._drop_producer()
    made.clear()
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(relay.run())
        try:
            assert await read_all(stack.operator, topic, 3) == [b"a", b"b", b"c"]
        finally:
            relay.stop()
            await task
    events = [(entry["event"], entry["log_level"]) for entry in logs]
    assert ("outbox_relay_stalled", "error") in events
    assert ("outbox_relay_recovered", "warning") in events
    assert gone.stopped
    assert await relay.pending() == 0
