"""What a service is, and how a process runs one for one tenant."""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from fastapi import FastAPI
from fastapi.responses import Response
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import CONTENT_TYPE_LATEST

from schemas import topics
from schemas.catalogue import REPLAYS
from services.runtime import metrics, tracing
from services.runtime.broker import TopicsMissing, make_broker, require_topics, start_producer
from services.runtime.clock import Clock, SystemClock
from services.runtime.consumer import Processor, Record, Route, Verdict, consumed, replayed
from services.runtime.health import PROBE_SECONDS, install_health
from services.runtime.kafka_access import AccessError, KafkaAccess, access_for
from services.runtime.logs import configure_logging, failure
from services.runtime.migrations import RUNTIME_MIGRATIONS, login_role, migrate, role_name
from services.runtime.relay import OutboxRelay
from services.runtime.settings import Settings, database_password
from services.runtime.staff import Issuer, issuer_for
from services.runtime.tracing import configure_tracing
from services.runtime.unit_of_work import Database, open_database

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = structlog.get_logger(__name__)

# The longest the broker holds a fetch open when it has nothing new. aiokafka fetches from a
# broker only when no fetch to it is in flight, and leaves out a partition whose records are
# still being handed out one by one; so a record arriving on that partition waits for the
# fetch of the others to come back, which at aiokafka's default (500 ms) is a half-second
# stall on an idle broker. Short, the stall is short; the price is an empty fetch per idle
# consumer this often.
_FETCH_MAX_WAIT_MS = 50


@dataclass(frozen=True)
class Subscription:
    """One topic a service reads (or every inbox of its tenant), and the types it handles."""

    topic: str
    routes: Mapping[str, Route]
    # Types other services of the same tenant handle on a shared inbox: acknowledged, unread.
    ignored: frozenset[str] = frozenset()
    # The topic is the prefix of the tenant's inboxes, one per sender: all of them are read,
    # including a sender provisioned after the service started.
    every_sender: bool = False

    def reads(self, topic: str) -> bool:
        """Whether a record of this topic belongs to this subscription."""
        if self.every_sender:
            return topic.startswith(self.topic) and topics.sender_of(topic) is not None
        return topic == self.topic


def inbox_subscription(
    tenant: str, routes: Mapping[str, Route], ignored: frozenset[str] = frozenset()
) -> Subscription:
    """A tenant's inboxes, from every sender (architecture §5)."""
    return Subscription(topics.inbox_prefix(tenant), routes, ignored, every_sender=True)


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
    # The force's issuer staff tokens are checked against (services.runtime.staff); none:
    # every staff route is refused, never opened.
    issuer: Issuer | None = None


@dataclass(frozen=True)
class ServiceDefinition:
    """A service: its name, its migrations, its wiring, and its HTTP API if it has one."""

    name: str
    migrations: Path
    wire: Callable[[str, Clock], Wiring]
    # Migrations it shares with services of its kind, applied before its own: (prefix, folder).
    shared_migrations: tuple[tuple[str, Path], ...] = ()
    http: Callable[[HttpContext], ASGIApp] | None = None
    # Its own /metrics for the metrics port (the process's metrics and more); else the
    # process's metrics alone are served there.
    metrics_http: Callable[[HttpContext], ASGIApp] | None = None


class OffsetCommitter(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commits the offsets of finished records in the background, one commit at a time.

    A record is marked finished only once its transaction has committed (or it was a
    duplicate, ignored or dead-lettered), so a committed offset never passes unfinished work.
    The consumer goes on to the next record instead of waiting a broker round trip for each;
    the records finished meanwhile go in the next commit. A record finished but not yet
    committed when the process dies is read again and found in the inbox. Before a rebalance
    and at shutdown the finished offsets are committed first, and from shutdown on each
    record's offset is committed before the next record is read.
    """

    def __init__(self) -> None:
        self._consumer: AIOKafkaConsumer | None = None
        self._finished: dict[TopicPartition, int] = {}
        self._lock = asyncio.Lock()  # one commit at a time: a later offset is never overtaken
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def finished(self, consumer: AIOKafkaConsumer, record: Record) -> None:
        """Mark a record done; its offset is committed soon, or now when shutting down."""
        self._consumer = consumer
        self._finished[TopicPartition(record.topic, record.partition)] = record.offset + 1
        if self._closing:
            await self.flush()
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="offset-commits")
        self._wake.set()

    async def flush(self) -> None:
        """Commit every finished offset not yet committed."""
        async with self._lock:
            consumer, offsets = self._consumer, self._finished
            if consumer is None or not offsets:
                return
            self._finished = {}
            assigned = consumer.assignment()
            offsets = {tp: offset for tp, offset in offsets.items() if tp in assigned}
            try:
                if offsets:
                    await consumer.commit(offsets)
            except (CommitFailedError, IllegalStateError) as exc:
                # The group moved on: whoever holds the partitions now reads those records
                # again from the last commit and finds them in the inbox.
                log.warning("offset_commit_dropped", **failure(exc))
            except BaseException:
                for tp, offset in offsets.items():  # a later record's offset supersedes
                    self._finished.setdefault(tp, offset)
                raise

    async def close(self) -> None:
        """Commit what is finished; from now on each record is committed as it finishes."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Before a rebalance: commit what this member finished while it still may."""
        try:
            await self.flush()
        except KafkaError as exc:
            log.warning("offset_commit_failed", **failure(exc))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Nothing to do: positions start from the group's committed offsets."""

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except KafkaError as exc:
                log.warning("offset_commit_failed", **failure(exc))
                await asyncio.sleep(0.2)
                self._wake.set()


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
    committer: OffsetCommitter = field(default_factory=OffsetCommitter)
    access: KafkaAccess | None = None


def broker_name(service: str) -> str:
    """A service's name on the broker, as provisioning names its principal and group.

    `local-intelligence` where its database schema is `local_intelligence`.
    """
    return service.replace("_", "-")


def group_id(tenant: str, service: str) -> str:
    """The consumer group of a tenant's service: tenant first, so ACLs can be by prefix."""
    return f"{tenant}.{broker_name(service)}"


def app_dsn(settings: Settings, service: str) -> str:
    """The DSN of the tenant's own login role for the service (`<tenant>.<service>`).

    `app_database_url` when given; else the owner's DSN with its user replaced and the role's
    password in it, from `app_database_password` or the provisioned credentials (never log
    it). Its query stays, so TLS is the owner's.
    """
    if settings.app_database_url:
        return settings.app_database_url
    scheme, rest = settings.database_url.split("://", 1)
    authority, slash, tail = rest.partition("/")
    role = login_role(settings.tenant, service)
    password = database_password(settings, role)
    user = urllib.parse.quote(role, safe="")
    if password:
        user += ":" + urllib.parse.quote(password, safe="")
    return f"{scheme}://{user}@{authority.rpartition('@')[2]}{slash}{tail}"


async def prepare(
    definition: ServiceDefinition, settings: Settings, clock: Clock | None = None
) -> Running:
    """Check the credentials, migrate, connect, check the topics, subscribe; nothing consumed."""
    clock = clock or SystemClock()
    name, tenant = definition.name, settings.tenant
    access = access_for(settings, broker_name(name))  # a bad credential stops us first
    if settings.migrate_at_start:
        await migrate_service(definition, settings.database_url)
    database = await open_database(
        dsn=app_dsn(settings, name), schema=name, size=settings.pool_size
    )
    wiring = definition.wire(tenant, clock)
    replays = [topics.replays(tenant)] if _replayed_here(name, wiring, tenant) else []
    await require_topics(
        access,
        [
            *(s.topic for s in wiring.subscriptions if not s.every_sender),
            *wiring.publishes,
            *wiring.destinations,
            topics.dead_letters(tenant),
            *replays,
        ],
    )
    client_id = group_id(tenant, name)
    broker = make_broker(access, client_id=client_id)
    relay = OutboxRelay(
        database=database,
        tenant=tenant,
        producer_factory=lambda: start_producer(access, client_id=f"{client_id}.relay"),
        batch=settings.outbox_batch,
        poll_seconds=settings.outbox_poll_seconds,
        principal=access.principal,
    )
    running = Running(
        definition, settings, database, broker, relay, clock, tickers=wiring.tickers, access=access
    )
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
            running.committer,
            group_id(tenant, name),
            list(zip(wiring.subscriptions, running.processors, strict=True)),
            replays,
        )
    return running


async def migrate_service(definition: ServiceDefinition, owner_dsn: str) -> list[str]:
    """Apply a service's migrations (the runtime's, then its own) as the schema owner."""
    name = definition.name
    return await migrate(
        owner_dsn=owner_dsn,
        schema=name,
        role=role_name(name),
        migrations=[
            ("runtime", RUNTIME_MIGRATIONS),
            *definition.shared_migrations,
            (name, definition.migrations),
        ],
    )


def _replayed_here(service: str, wiring: Wiring, tenant: str) -> bool:
    """A force's services take replays from its ops team; agencies' stand-ins have none."""
    # An agency's stand-in reads its inboxes by pattern too: the service's name tells them apart.
    by_stream = any(s.topic.startswith(f"cso.{tenant}.") for s in wiring.subscriptions)
    return by_stream or service in REPLAYS.consumers


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


def staff_issuer(settings: Settings) -> Issuer | None:
    """The issuer the settings' force signs its staff in with."""
    return issuer_for(
        settings.staff_issuer,
        settings.tenant,
        ca_file=settings.staff_ca_file,
        audience=settings.staff_audience,
    )


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the service's own loop: FastStream owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _http_servers(running: Running) -> list[uvicorn.Server]:
    """The API on the HTTP port; /metrics and the health routes on the metrics port."""
    definition, settings = running.definition, running.settings
    context = HttpContext(settings.tenant, running.database, running.clock, staff_issuer(settings))
    servers = []
    if definition.http is not None and settings.http_port is not None:
        app = definition.http(context)
        if isinstance(app, FastAPI):
            _health(app, running)
            tracing.trace_requests(app)
        servers.append(_server(app, settings.http_host, settings.http_port, "http_listening"))
    if settings.metrics_port is not None:
        metrics_app = (
            definition.metrics_http(context) if definition.metrics_http else _metrics_app()
        )
        if isinstance(metrics_app, FastAPI):
            _health(metrics_app, running)
        port = settings.metrics_port
        servers.append(_server(metrics_app, settings.http_host, port, "metrics_listening"))
    return servers


def _metrics_app() -> FastAPI:
    """The process's own metrics, for a service without metrics of its own."""
    app = FastAPI(title="csods metrics", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/metrics")
    async def scrape() -> Response:
        return Response(metrics.process_metrics(), media_type=CONTENT_TYPE_LATEST)

    return app


def _health(app: FastAPI, running: Running) -> None:
    async def database() -> object:
        async with running.database.pool.acquire() as conn:
            return await conn.fetchval("SELECT 1")

    async def broker() -> object:
        return await running.broker.ping(timeout=PROBE_SECONDS)

    install_health(
        app,
        service=running.definition.name,
        tenant=running.settings.tenant,
        probes={"database": database, "broker": broker},
    )


def _server(app: ASGIApp, host: str, port: int, event: str) -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    log.info(event, host=host, port=port)
    return _EmbeddedServer(config)


def _pattern(subscriptions: Sequence[Subscription], extra: Sequence[str]) -> str:
    """One regular expression for every topic the service reads."""
    exact = [re.escape(s.topic) for s in subscriptions if not s.every_sender]
    exact += [re.escape(topic) for topic in extra]
    inboxes = [re.escape(s.topic) + r"[a-z0-9-]+\.v1" for s in subscriptions if s.every_sender]
    return "^(?:" + "|".join([*exact, *inboxes]) + ")$"


def _subscribe(
    broker: KafkaBroker,
    committer: OffsetCommitter,
    group: str,
    processors: Sequence[tuple[Subscription, Processor]],
    replays: Sequence[str],
) -> None:
    """One consumer for all of a service's topics, each record to its topic's processor.

    One member per process keeps rebalances few. A pattern subscription, so a tenant allowed
    to send after the service started is read without a restart. Records are handled one at a
    time; a finished one's offset goes to the committer, which commits only finished records'
    offsets, and one to retry is sought back before the next is read.
    """

    def processor_for(topic: str) -> Processor | None:
        for subscription, processor in processors:
            if subscription.reads(topic):
                return processor
        return None

    async def raw_body(message: KafkaMessage) -> bytes:
        return message.body  # decoding is ours: bad bytes must reach the dead letters

    # Manual ack: the offset is committed only once the transaction has committed.
    @broker.subscriber(
        pattern=_pattern([s for s, _ in processors], replays),
        group_id=group,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=_FETCH_MAX_WAIT_MS,
        listener=committer,
        decoder=raw_body,
    )
    async def on_record(body: bytes, message: KafkaMessage) -> None:
        raw = message.raw_message
        assert not isinstance(raw, tuple), "subscribers here are never batch subscribers"
        record = consumed(raw)
        if raw.topic in replays:
            record = replayed(record)
        processor = processor_for(record.proof_topic)
        with structlog.contextvars.bound_contextvars(
            topic=raw.topic, partition=raw.partition, offset=raw.offset
        ):
            if processor is None:  # a replay for a topic this service does not read
                verdict = Verdict.IGNORED
            else:
                verdict = await processor.process(record)
        if verdict.commit_offset:
            consumer = message.consumer
            if isinstance(consumer, AIOKafkaConsumer):
                await committer.finished(consumer, record)
            else:  # an in-memory test broker's consumer
                await message.ack()
        else:
            await message.nack()  # seek back: the same record is read again
            await asyncio.sleep(processor.backoff_seconds if processor else 0.2)


class StartRefused(RuntimeError):  # noqa: N818 - a verdict on the settings, not a bug
    """The service cannot start as configured; the message names the setting or resource."""


async def _prepare_or_refuse(definition: ServiceDefinition, settings: Settings) -> Running:
    """Prepare, turning a credential or provisioning problem into one clear line."""
    try:
        return await prepare(definition, settings)
    except (AccessError, TopicsMissing) as exc:
        reason = str(exc)
    except KafkaError as exc:
        # SASL failures and refusals: the broker names no more than the principal and why.
        who = settings.kafka_username or f"{settings.tenant}.{definition.name}"
        reason = (
            f"Kafka at {settings.kafka_bootstrap} refused principal {who} ({type(exc).__name__}): "
            "check CSODS_KAFKA_USERNAME, CSODS_KAFKA_PASSWORD (or _FILE, or "
            "CSODS_KAFKA_CREDENTIALS_DIR) and CSODS_KAFKA_CA_FILE"
        )
    except ssl.SSLError as exc:
        reason = f"TLS to Kafka failed ({exc.reason}): check CSODS_KAFKA_CA_FILE"
    log.error("service_start_refused", reason=reason)
    raise StartRefused(reason)


async def run(definition: ServiceDefinition, settings: Settings) -> None:
    """Run a service until SIGTERM or SIGINT, then stop without committing unfinished work."""
    configure_logging(json=settings.log_json, level=settings.log_level)
    configure_tracing(
        service=definition.name,
        tenant=settings.tenant,
        endpoint=settings.otlp_endpoint,
        path=settings.trace_file,
    )
    structlog.contextvars.bind_contextvars(service=definition.name, tenant=settings.tenant)
    running = await _prepare_or_refuse(definition, settings)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        relay_task = asyncio.create_task(running.relay.run(), name="outbox-relay")
        ticker_tasks = [
            asyncio.create_task(_tick(ticker, running.database), name=ticker.name)
            for ticker in running.tickers
        ]
        servers = _http_servers(running)
        http_tasks = [asyncio.create_task(s.serve(), name="http") for s in servers]
        log.info("service_started")
        try:
            yield
        finally:
            for server in servers:
                server.should_exit = True  # finishes the requests in flight, then returns
            await asyncio.gather(*http_tasks)
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

    app = FastStream(
        running.broker,
        lifespan=lifespan,
        after_startup=[ready],
        on_shutdown=[running.committer.close],  # before the consumer stops
    )
    await app.run()
