"""What a service is, and how a process runs one for one tenant."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import ssl
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
import uvicorn
from aiokafka.errors import KafkaError
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from schemas import topics
from schemas.catalogue import REPLAYS
from services.runtime import metrics, pruning, tracing
from services.runtime.broker import TopicsMissing, require_topics, start_producer
from services.runtime.clock import Clock, SystemClock
from services.runtime.consumer import Processor, Route
from services.runtime.consuming import ConsumerLoop, Progress
from services.runtime.health import Probe, install_health
from services.runtime.kafka_access import AccessError, KafkaAccess, access_for
from services.runtime.logs import configure_logging, failure
from services.runtime.migrations import RUNTIME_MIGRATIONS, login_role, migrate, role_name
from services.runtime.relay import OutboxRelay
from services.runtime.sealing import FolderKeys
from services.runtime.settings import Settings, database_password, keys_folder
from services.runtime.staff import Issuer, issuer_for
from services.runtime.tracing import configure_tracing
from services.runtime.unit_of_work import Database, open_database
from services.runtime.waiting import broker_up
from services.runtime.watch import DependencyWatch

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = structlog.get_logger(__name__)


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
    # Kept up to date by the consumer: whether it has read its topics to their ends.
    progress: Progress | None = None


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


@dataclass
class Running:
    """A service's live parts, for tests and for shutdown."""

    definition: ServiceDefinition
    settings: Settings
    database: Database
    relay: OutboxRelay
    clock: Clock
    consumer: ConsumerLoop | None = None  # none: a service that reads no topic
    processors: list[Processor] = field(default_factory=list)
    tickers: Sequence[Ticker] = ()
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
    keys = FolderKeys(keys_folder(settings))  # the tenant's, to seal its dead letters
    if settings.migrate_at_start:
        await migrate_service(definition, settings.database_url)
    database = await open_database(
        dsn=app_dsn(settings, name), schema=name, size=settings.pool_size
    )
    wiring = definition.wire(tenant, clock)
    replays = [topics.replays(tenant)] if _replayed_here(name, wiring, tenant) else []
    needed = [
        *(s.topic for s in wiring.subscriptions if not s.every_sender),
        *wiring.publishes,
        *wiring.destinations,
        topics.dead_letters(tenant),
        *replays,
    ]
    await broker_up(
        lambda: require_topics(access, needed),
        bootstrap=access.bootstrap,
        within=settings.startup_wait_seconds,
    )
    client_id = group_id(tenant, name)
    relay = OutboxRelay(
        database=database,
        tenant=tenant,
        producer_factory=lambda: start_producer(access, client_id=f"{client_id}.relay"),
        batch=settings.outbox_batch,
        poll_seconds=settings.outbox_poll_seconds,
        principal=access.principal,
        ack_timeout_seconds=settings.outbox_ack_timeout_seconds,
    )
    running = Running(
        definition,
        settings,
        database,
        relay,
        clock,
        tickers=(*wiring.tickers, *_housekeeping(name, tenant, settings, clock)),
        access=access,
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
            keys=keys,
        )
        running.processors.append(processor)
    if running.processors:
        by_subscription = list(zip(wiring.subscriptions, running.processors, strict=True))

        def processor_for(topic: str) -> Processor | None:
            for subscription, processor in by_subscription:
                if subscription.reads(topic):
                    return processor
            return None

        running.consumer = ConsumerLoop(
            access=access,
            group=client_id,
            client_id=client_id,
            pattern=_pattern(wiring.subscriptions, replays),
            processor_for=processor_for,
            replay_topics=replays,
            partitions_in_parallel=settings.partitions_in_parallel,
            progress=wiring.progress,
            startup_wait_seconds=settings.startup_wait_seconds,
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


def _housekeeping(name: str, tenant: str, settings: Settings, clock: Clock) -> list[Ticker]:
    """The process's own housekeeping: old inbox claims and sent outbox rows deleted."""
    if not settings.housekeeping_seconds:
        return []
    horizon = pruning.claim_horizon(name)
    keep_sent = timedelta(seconds=settings.outbox_keep_sent_seconds)

    async def run(database: Database) -> None:
        now = clock.now()
        await pruning.prune(
            database,
            tenant=tenant,
            consumer=name,
            now=now,
            claims_before=now - horizon,
            sent_before=now - keep_sent,
        )

    return [Ticker("housekeeping", settings.housekeeping_seconds, run)]


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
    """uvicorn inside the service's own loop: `run` owns SIGTERM and SIGINT."""

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


def _probes(running: Running) -> dict[str, Probe]:
    """What readiness asks and the dependency watch watches: the database and the broker."""

    async def database() -> object:
        async with running.database.pool.acquire() as conn:
            return await conn.fetchval("SELECT 1")

    async def broker() -> object:
        if running.consumer is None:  # nothing consumed: the relay's producer is what talks
            return await running.relay.ping()
        return await running.consumer.ping()

    return {"database": database, "broker": broker}


def _health(app: FastAPI, running: Running) -> None:
    install_health(
        app,
        service=running.definition.name,
        tenant=running.settings.tenant,
        probes=_probes(running),
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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    relay_task = asyncio.create_task(running.relay.run(), name="outbox-relay")
    ticker_tasks = [
        asyncio.create_task(_tick(ticker, running.database), name=ticker.name)
        for ticker in running.tickers
    ]
    watch_task = asyncio.create_task(DependencyWatch(_probes(running)).run(), name="watch")
    servers = _http_servers(running)
    http_tasks = [asyncio.create_task(s.serve(), name="http") for s in servers]
    log.info("service_started")
    consumer = running.consumer
    if consumer is None:
        _ready(running)  # nothing to read: ready as soon as it serves
        tasks = []
    else:
        tasks = [asyncio.create_task(consumer.run(on_started=lambda: _ready(running)))]
    stopped = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if consumer is not None:
            consumer.stop()  # finishes the records in hand and commits their offsets
        failed = await asyncio.gather(*tasks, return_exceptions=True)
        for server in servers:
            server.should_exit = True  # finishes the requests in flight, then returns
        await asyncio.gather(*http_tasks)
        for task in [*ticker_tasks, watch_task]:
            task.cancel()
        await asyncio.gather(*ticker_tasks, watch_task, return_exceptions=True)
        running.relay.stop()
        await relay_task
        await running.database.pool.close()
        log.info("service_stopped")
    for outcome in failed:
        if isinstance(outcome, Exception):
            # The consumer gave up: the process exits, saying why, and is restarted.
            log.error("service_exiting", reason=type(outcome).__name__)
            raise outcome


def _ready(running: Running) -> None:
    # From here a message sent is consumed by this process.
    log.info("service_ready", group=group_id(running.settings.tenant, running.definition.name))
