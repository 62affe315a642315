"""What a service is, and how a process runs one for one tenant."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
import uvicorn
from fastapi import FastAPI
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import make_asgi_app

from schemas import topics
from services.runtime import metrics, tracing
from services.runtime.broker import ensure_topics, make_broker, start_producer
from services.runtime.clock import Clock, SystemClock
from services.runtime.consumer import Processor, Record, Route
from services.runtime.logs import configure_logging, failure
from services.runtime.migrations import RUNTIME_MIGRATIONS, migrate, role_name
from services.runtime.relay import OutboxRelay
from services.runtime.settings import Settings
from services.runtime.tracing import configure_tracing
from services.runtime.unit_of_work import Database, open_database

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Subscription:
    """One topic a service reads, and the message types it handles there."""

    topic: str
    routes: Mapping[str, Route]
    # Types other services of the same tenant handle on a shared inbox: acknowledged, unread.
    ignored: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Ticker:
    """Work a service does on a timer (deadline clocks, reminders), beside its subscribers.

    The work reads the injectable clock, so tests drive it by calling `run` directly.
    """

    name: str
    every_seconds: float
    run: Callable[[Database], Awaitable[None]]


@dataclass(frozen=True)
class Wiring:
    """What a service reads and writes for one tenant, and what it does on a timer."""

    subscriptions: Sequence[Subscription]
    publishes: Sequence[str] = ()
    tickers: Sequence[Ticker] = ()
    # Other tenants' inboxes this service writes to, created if missing before the first send.
    destinations: Sequence[str] = ()


@dataclass(frozen=True)
class HttpContext:
    """What a service's HTTP API needs: its tenant's database and the clock."""

    tenant: str
    database: Database
    clock: Clock
    # Staff tokens are checked with it (services.runtime.staff); none: every staff route is
    # refused, never opened.
    staff_secret: str | None = None


@dataclass(frozen=True)
class ServiceDefinition:
    """A service: its name, its migrations, its wiring, and its HTTP API if it has one."""

    name: str
    migrations: Path
    wire: Callable[[str, Clock], Wiring]
    http: Callable[[HttpContext], ASGIApp] | None = None


@dataclass
class Running:
    """A service's live parts, for tests and for shutdown."""

    definition: ServiceDefinition
    settings: Settings
    database: Database
    broker: KafkaBroker
    relay: OutboxRelay
    clock: Clock
    processors: list[Processor] = field(default_factory=list)
    tickers: Sequence[Ticker] = ()


def group_id(tenant: str, service: str) -> str:
    """The consumer group of a tenant's service: tenant first, so ACLs can be by prefix."""
    return f"{tenant}.{service}"


def app_dsn(settings: Settings, service: str) -> str:
    """The DSN of the service's own role, unless one is given."""
    if settings.app_database_url:
        return settings.app_database_url
    scheme, rest = settings.database_url.split("://", 1)
    host_part = rest.split("@", 1)[1] if "@" in rest else rest
    return f"{scheme}://{role_name(service)}@{host_part}"


async def prepare(
    definition: ServiceDefinition, settings: Settings, clock: Clock | None = None
) -> Running:
    """Migrate, connect, create topics, and register subscribers; nothing consumed yet."""
    clock = clock or SystemClock()
    name, tenant = definition.name, settings.tenant
    await migrate(
        owner_dsn=settings.database_url,
        schema=name,
        role=role_name(name),
        password=settings.app_database_password,
        migrations=[("runtime", RUNTIME_MIGRATIONS), (name, definition.migrations)],
    )
    database = await open_database(
        dsn=app_dsn(settings, name), schema=name, size=settings.pool_size
    )
    wiring = definition.wire(tenant, clock)
    await ensure_topics(
        settings,
        [
            *(subscription.topic for subscription in wiring.subscriptions),
            *wiring.publishes,
            *wiring.destinations,
            topics.dead_letters(tenant),
        ],
    )
    client_id = f"{tenant}.{name}"
    broker = make_broker(settings, client_id=client_id)
    relay = OutboxRelay(
        database=database,
        tenant=tenant,
        producer_factory=lambda: start_producer(settings, client_id=f"{client_id}.relay"),
        batch=settings.outbox_batch,
        poll_seconds=settings.outbox_poll_seconds,
    )
    running = Running(definition, settings, database, broker, relay, clock, tickers=wiring.tickers)
    for subscription in wiring.subscriptions:
        processor = Processor(
            service=name,
            tenant=tenant,
            database=database,
            routes=subscription.routes,
            ignored=subscription.ignored,
            clock=clock,
            max_message_bytes=settings.max_message_bytes,
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.retry_backoff_seconds,
            crash_after_commit=settings.fault_crash_after_commit,
        )
        running.processors.append(processor)
    if running.processors:
        _subscribe(
            broker,
            group_id(tenant, name),
            {
                subscription.topic: processor
                for subscription, processor in zip(
                    wiring.subscriptions, running.processors, strict=True
                )
            },
        )
    return running


async def _tick(ticker: Ticker, database: Database) -> None:
    """Run a ticker's work every so often; a failure is logged and the timer goes on."""
    while True:
        try:
            await ticker.run(database)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a timer must outlive one bad round
            log.warning("ticker_failed", ticker=ticker.name, **failure(exc))
        await asyncio.sleep(ticker.every_seconds)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the service's own loop: FastStream owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _http_server(running: Running) -> uvicorn.Server | None:
    definition, settings = running.definition, running.settings
    if definition.http is None or settings.http_port is None:
        return None
    secret = settings.staff_token_secret
    app = definition.http(
        HttpContext(
            settings.tenant,
            running.database,
            running.clock,
            None if secret is None else secret.get_secret_value(),
        )
    )
    if isinstance(app, FastAPI):
        app.mount("/metrics", make_asgi_app(registry=metrics.REGISTRY_IN_USE))
        tracing.trace_requests(app)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
    )
    log.info("http_listening", host=settings.http_host, port=settings.http_port)
    return _EmbeddedServer(config)


def _subscribe(broker: KafkaBroker, group: str, processors: Mapping[str, Processor]) -> None:
    """One consumer for all of a service's topics, each record to its topic's processor.

    One member per process keeps rebalances few. Records are handled one at a time, and each
    is acknowledged or sought back before the next is read, so committing the consumer's
    positions never passes a record that was not finished.
    """

    async def raw_body(message: KafkaMessage) -> bytes:
        return message.body  # decoding is ours: bad bytes must reach the dead letters

    # Manual ack: the offset is committed only once the transaction has committed.
    @broker.subscriber(
        *processors,
        group_id=group,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=raw_body,
    )
    async def on_record(body: bytes, message: KafkaMessage) -> None:
        raw = message.raw_message
        assert not isinstance(raw, tuple), "subscribers here are never batch subscribers"
        processor = processors[raw.topic]
        record = Record(
            topic=raw.topic,
            partition=raw.partition,
            offset=raw.offset,
            key=raw.key,
            value=raw.value,
            headers=tuple(raw.headers or ()),
        )
        with structlog.contextvars.bound_contextvars(
            tenant=processor.tenant, topic=raw.topic, partition=raw.partition, offset=raw.offset
        ):
            verdict = await processor.process(record)
        if verdict.commit_offset:
            await message.ack()
        else:
            await message.nack()  # seek back: the same record is read again
            await asyncio.sleep(processor.backoff_seconds)


async def run(definition: ServiceDefinition, settings: Settings) -> None:
    """Run a service until SIGTERM or SIGINT, then stop without committing unfinished work."""
    configure_logging(json=settings.log_json, level=settings.log_level)
    configure_tracing(service=definition.name, tenant=settings.tenant)
    structlog.contextvars.bind_contextvars(service=definition.name, tenant=settings.tenant)
    running = await prepare(definition, settings)
    if settings.metrics_port is not None:
        metrics.serve(settings.metrics_port, settings.http_host)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        relay_task = asyncio.create_task(running.relay.run(), name="outbox-relay")
        ticker_tasks = [
            asyncio.create_task(_tick(ticker, running.database), name=ticker.name)
            for ticker in running.tickers
        ]
        http = _http_server(running)
        http_task = asyncio.create_task(http.serve(), name="http") if http else None
        log.info("service_started")
        try:
            yield
        finally:
            if http is not None and http_task is not None:
                http.should_exit = True  # finishes the requests in flight, then returns
                await http_task
            for task in ticker_tasks:
                task.cancel()
            await asyncio.gather(*ticker_tasks, return_exceptions=True)
            running.relay.stop()
            await relay_task
            await running.database.pool.close()
            log.info("service_stopped")

    async def ready() -> None:
        # Subscribers are started: from here a message sent is consumed by this process.
        log.info("service_ready", group=group_id(settings.tenant, definition.name))

    app = FastStream(running.broker, lifespan=lifespan, after_startup=[ready])
    await app.run()
