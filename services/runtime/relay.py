"""The outbox relay: publishes committed rows, marks them sent only after the broker acks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import stamina
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)
from asyncpg.pool import PoolConnectionProxy

from services.runtime.logs import failure
from services.runtime.metrics import OUTBOX_OLDEST_SECONDS, OUTBOX_PENDING
from services.runtime.outbox import channel
from services.runtime.unit_of_work import Database

log = structlog.get_logger(__name__)

_BACKLOG_EVERY_SECONDS = 5.0
# Between failed rounds: 0.2 s, doubling to 5 s, each with up to 0.5 s of jitter, so the
# relays of many processes do not all come back to a recovering broker at the same instant.
_FIRST_WAIT_SECONDS = 0.2
_LONGEST_WAIT_SECONDS = 5.0
_JITTER_SECONDS = 0.5
_DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
ProducerFactory = Callable[[], Awaitable[AIOKafkaProducer]]
_REFUSALS = (
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)
_TRANSIENT = (KafkaError, *_DATABASE_ERRORS)


class OutboxRelay:
    """Moves outbox rows of one tenant to Kafka, at least once and in id order."""

    def __init__(
        self,
        *,
        database: Database,
        tenant: str,
        producer_factory: ProducerFactory,
        batch: int,
        poll_seconds: float,
        principal: str = "",
        ack_timeout_seconds: float = 30.0,
        stalled_after_seconds: float = 60.0,
    ) -> None:
        self._db = database
        self._tenant = tenant
        self._new_producer = producer_factory
        self._batch = batch
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._stopping = False
        self._observed_at = 0.0
        self._principal = principal
        self._ack_timeout = ack_timeout_seconds
        self._stalled_after = stalled_after_seconds
        self._failing_since: float | None = None
        self._stall_logged_at = 0.0

    async def run(self) -> None:
        """Publish until stopped; a failing broker or database is retried, never skipped."""
        listener = await self._listen()
        try:
            while not self._stopping:
                self._wake.clear()  # a notification from now on means another round
                sent = await self._round()
                if sent < self._batch:
                    await self._observe_backlog()
                    await self._sleep()
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(channel(self._db.schema), self._on_notify)
                    await self._db.pool.release(listener)
            await self._drop_producer()

    async def _round(self) -> int:
        """One batch, tried again with backoff and jitter while the broker or the database
        fails (for as long as it takes: nothing is skipped); 0 once asked to stop."""
        async for attempt in stamina.retry_context(
            on=_TRANSIENT,
            attempts=None,
            timeout=None,
            wait_initial=_FIRST_WAIT_SECONDS,
            wait_max=_LONGEST_WAIT_SECONDS,
            wait_jitter=_JITTER_SECONDS,
            name="outbox_relay",
        ):
            with attempt:
                if self._stopping:
                    return 0
                try:
                    sent = await self.publish_pending()
                except KafkaError as exc:
                    # A producer that failed may be fenced or wedged: build a new one.
                    log.warning("outbox_producer_failed", attempt=attempt.num, **failure(exc))
                    self._failing()
                    await self._drop_producer()
                    raise
                except _DATABASE_ERRORS as exc:
                    log.warning("outbox_database_failed", attempt=attempt.num, **failure(exc))
                    self._failing()
                    raise
                self._recovered()
                return sent
        return 0  # not reached: the retries never end while the relay runs

    async def ping(self) -> object:
        """Ask the broker for its metadata through the relay's producer (the health probe)."""
        producer = await self._ensure_producer()
        return await producer.client.fetch_all_metadata()

    def stop(self) -> None:
        """Ask the loop to end after the batch in hand."""
        self._stopping = True
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; return how many were sent."""
        producer = await self._ensure_producer()
        async with self._db.transaction(self._tenant) as tx:
            rows = await tx.conn.fetch(
                "SELECT id, topic, key, header_names, header_values, payload FROM outbox"
                " WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch,
            )
            if not rows:
                return 0
            # Enqueue all, then wait for every acknowledgement; the idempotent producer
            # keeps each partition's order across its retries. The rows stay locked while it
            # waits, so the wait has a limit: a broker that is gone rolls the batch back for
            # a new producer to send again, never an open transaction held for as long.
            try:
                async with asyncio.timeout(self._ack_timeout):
                    futures = [
                        await producer.send(
                            row["topic"],
                            value=row["payload"],
                            key=row["key"],
                            headers=list(
                                zip(row["header_names"], row["header_values"], strict=True)
                            ),
                        )
                        for row in rows
                    ]
                    await asyncio.gather(*futures)
            except TimeoutError as exc:
                raise KafkaTimeoutError(
                    f"{len(rows)} outbox rows not acknowledged in {self._ack_timeout:g} s"
                ) from exc
            except _REFUSALS as exc:
                # The broker's wall: say who was refused what. The rows wait until the
                # destination is provisioned; nothing behind them overtakes them.
                refused = sorted({row["topic"] for row in rows})
                log.error(
                    "kafka_refused", principal=self._principal, topics=refused, **failure(exc)
                )
                raise
            await tx.conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
        log.debug("outbox_published", rows=len(rows))
        return len(rows)

    async def pending(self) -> int:
        """How many rows wait to be published; also updates the backlog gauges."""
        async with self._db.transaction(self._tenant) as tx:
            row = await tx.conn.fetchrow(
                "SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at)) AS age"
                " FROM outbox WHERE sent_at IS NULL"
            )
        assert row is not None
        OUTBOX_PENDING.labels(self._db.schema, self._tenant).set(row["pending"])
        OUTBOX_OLDEST_SECONDS.labels(self._db.schema, self._tenant).set(float(row["age"] or 0))
        return int(row["pending"])

    async def _observe_backlog(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._observed_at >= _BACKLOG_EVERY_SECONDS:
            self._observed_at = now
            await self.pending()

    def _failing(self) -> None:
        """Note a failed round; a failure that lasts is an error an operator is alerted to."""
        now = asyncio.get_running_loop().time()
        if self._failing_since is None:
            self._failing_since = now
        stalled = now - self._failing_since
        if stalled >= self._stalled_after and now - self._stall_logged_at >= self._stalled_after:
            self._stall_logged_at = now
            log.error("outbox_relay_stalled", seconds=round(stalled), principal=self._principal)

    def _recovered(self) -> None:
        if self._failing_since is not None:
            stalled = asyncio.get_running_loop().time() - self._failing_since
            log.warning("outbox_relay_recovered", seconds=round(stalled))
        self._failing_since = None
        self._stall_logged_at = 0.0

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = await self._new_producer()
        return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _listen(self) -> PoolConnectionProxy | None:
        try:
            conn = await self._db.pool.acquire()
            await conn.add_listener(channel(self._db.schema), self._on_notify)
        except (OSError, asyncpg.PostgresError):
            return None  # polling alone still delivers everything, only later
        return conn

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _sleep(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
