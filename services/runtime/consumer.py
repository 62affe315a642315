"""Turns one Kafka record into one applied effect, one dead letter, or a retry later."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Generic, TypeVar

import asyncpg
import structlog
from pydantic import ValidationError

from schemas import topics
from schemas.base import Message
from schemas.envelope import Envelope, EnvelopeError
from services.runtime import tracing
from services.runtime.clock import Clock
from services.runtime.dead_letters import dead_letter_record
from services.runtime.logs import failure
from services.runtime.metrics import DEAD_LETTERS, MESSAGES
from services.runtime.sealing import MemoryKeys, TenantKeys
from services.runtime.unit_of_work import Database, Transaction

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=Message)


class Rejected(Exception):  # noqa: N818 - a verdict on a message, not a failure of ours
    """The message can never be applied; the reason names the field and the rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed Kafka record, independent of the client library."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]
    # A replay from the force's ops team: the topic the record was first refused on, and
    # the one consumer it is sent back to.
    replay_of: str | None = None
    replay_for: str | None = None

    @property
    def proof_topic(self) -> str:
        """The topic whose writers vouch for the record: its original one, for a replay."""
        return self.replay_of or self.topic


def consumed(raw: Any) -> Record:
    """A record as the Kafka client handed it over (an aiokafka ConsumerRecord)."""
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value,
        headers=tuple(raw.headers or ()),
    )


H_REPLAY_TOPIC = "csods_replay_topic"
H_REPLAY_CONSUMER = "csods_replay_consumer"


def replayed(record: Record) -> Record:
    """A record read from a force's replay topic, with where it was first refused."""
    headers = dict(record.headers)
    topic = headers.get(H_REPLAY_TOPIC, b"").decode(errors="replace")
    consumer = headers.get(H_REPLAY_CONSUMER, b"").decode(errors="replace")
    return replace(record, replay_of=topic or record.topic, replay_for=consumer)


_SHOWABLE = re.compile(r"^[a-z0-9][a-z0-9./-]{0,79}$")


def shown(value: str) -> str:
    """A header value fit for a reason or a log: an identifier, or only its length."""
    return value if _SHOWABLE.match(value) else f"({len(value)} characters, not shown)"


@dataclass(frozen=True, slots=True)
class Delivery(Generic[M]):
    """A decoded, validated message and where it came from."""

    envelope: Envelope
    message: M
    record: Record


Handler = Callable[[Transaction, Delivery[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    """How one message type is handled: its model, its use case, whose it may be."""

    model: type[Message]  # its ADDRESSED_TO, if any, is checked against the reader's tenant
    handle: Handler


class Verdict(Enum):
    """What to do with the offset once a record has been processed."""

    APPLIED = "applied"  # effect committed (or found committed before): commit the offset
    DUPLICATE = "duplicate"  # applied before: commit the offset
    IGNORED = "ignored"  # another service's message on a shared inbox: commit the offset
    DEAD = "dead"  # dead letter committed: commit the offset
    RETRY = "retry"  # nothing committed: do not commit, read it again

    @property
    def commit_offset(self) -> bool:
        """Whether the record's offset may be committed."""
        return self is not Verdict.RETRY


# Failures of the infrastructure, not of the message: they never make a dead letter.
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
)


@dataclass
class Processor:
    """Processes the records of one subscription for one service of one tenant."""

    service: str
    tenant: str
    database: Database
    routes: Mapping[str, Route]
    clock: Clock
    ignored: frozenset[str] = frozenset()
    max_message_bytes: int = 512 * 1024
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    crash_after_commit: str | None = None
    keys: TenantKeys = field(default_factory=MemoryKeys)  # the tenant's, to seal dead letters
    _dead_consumer: str = field(init=False)

    def __post_init__(self) -> None:
        self._dead_consumer = f"{self.service}/dead-letters"

    async def process(self, record: Record) -> Verdict:
        """Apply a record exactly once, or dead-letter it; never raises."""
        try:
            verdict = await self._process(record)
        except TRANSIENT as exc:
            log.warning("record_retry_later", **failure(exc))
            verdict = Verdict.RETRY
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the consumer nor commit past the record
            log.error("record_processing_failed", **failure(exc))
            verdict = Verdict.RETRY
        MESSAGES.labels(self.service, self.tenant, record.topic, verdict.value).inc()
        return verdict

    async def _process(self, record: Record) -> Verdict:
        if record.replay_of is not None and record.replay_for != self.service:
            return Verdict.IGNORED  # sent back to another consumer of the same topic
        try:
            envelope, route = self._route(record)
        except Rejected as exc:
            return await self._dead_letter(record, exc.reason)
        if route is None:
            return Verdict.IGNORED
        # Header values are the sender's words: logged only when they look like identifiers.
        with structlog.contextvars.bound_contextvars(
            case=shown(envelope.subject),
            correlation=str(envelope.correlation_id),
            causation=str(envelope.causation_id or ""),
            message=str(envelope.id),
            type=shown(envelope.type),
        ):
            try:
                delivery = self._decode(record, envelope, route)
            except Rejected as exc:
                return await self._dead_letter(record, exc.reason)
            return await self._apply_with_retries(record, delivery, route)

    def _route(self, record: Record) -> tuple[Envelope, Route | None]:
        try:
            envelope = Envelope.from_headers(record.headers)
        except EnvelopeError as exc:
            raise Rejected(str(exc)) from exc
        topic = record.proof_topic
        if topics.tenant_of(topic) != self.tenant:
            raise Rejected(f"topic: {shown(topic)} does not belong to tenant {self.tenant}")
        self._check_sender(topic, envelope)
        if record.key != envelope.key:
            raise Rejected(
                "key: the record's key must equal header ce_subject (the case reference)"
            )
        route = self.routes.get(envelope.type)
        if route is None and envelope.type not in self.ignored:
            raise Rejected(self._unknown_type(envelope.type))
        return envelope, route

    def _check_sender(self, topic: str, envelope: Envelope) -> None:
        """The sender named in ce_source must be the one the topic proves (architecture §5)."""
        sender = envelope.tenant
        if topic.startswith("cso."):  # a tenant-private stream: written by its tenant only
            if sender != self.tenant:
                raise Rejected(
                    f"header ce_source: tenant {shown(sender)} may not write to "
                    f"{self.tenant}'s stream {topic}"
                )
            return
        proven = topics.sender_of(topic)
        if proven is None:
            raise Rejected(f"topic: {shown(topic)} is neither a stream nor an inbox of a sender")
        if sender != proven:
            raise Rejected(
                f"header ce_source: names tenant {shown(sender)}, but only {proven} may "
                f"write to {topic}: the sender is not proven"
            )

    def _unknown_type(self, ce_type: str) -> str:
        name, _, version = ce_type.rpartition(".")
        known = sorted(
            known.rpartition(".")[2]
            for known in (*self.routes, *self.ignored)
            if known.rpartition(".")[0] == name
        )
        if known:
            return (
                f"header ce_type: {shown(name)} version {shown(version)} is not one this consumer "
                f"reads (it reads {', '.join(known)})"
            )
        return f"header ce_type: unknown message type {shown(ce_type)}"

    def _decode(self, record: Record, envelope: Envelope, route: Route) -> Delivery[Any]:
        value = record.value or b""
        if len(value) > self.max_message_bytes:
            raise Rejected(
                f"payload: {len(value)} bytes exceeds the limit of {self.max_message_bytes}"
            )
        try:
            message = route.model.model_validate_json(value)
        except ValidationError as exc:
            raise Rejected(describe_validation_error(exc)) from exc
        addressed_to = route.model.ADDRESSED_TO
        if addressed_to is not None:
            addressee = getattr(message, addressed_to)
            if addressee != self.tenant:
                raise Rejected(
                    f"{addressed_to}: addressed to {addressee}, "
                    f"but this is the inbox of {self.tenant}"
                )
        case = getattr(message, "case_reference", None)
        if case is not None and case != envelope.subject:
            raise Rejected(f"case_reference: {case} differs from header ce_subject")
        return Delivery(envelope=envelope, message=message, record=record)

    async def _apply_with_retries(
        self, record: Record, delivery: Delivery[Any], route: Route
    ) -> Verdict:
        for attempt in range(1, self.max_attempts + 1):
            try:
                verdict = await self._apply(delivery, route)
            except Rejected as exc:
                return await self._dead_letter(record, exc.reason)
            except TRANSIENT:
                raise  # infrastructure: retried from the same offset, never dead-lettered
            except Exception as exc:  # noqa: BLE001 - any bug: retried, then dead-lettered
                log.warning("handler_failed", attempt=attempt, **failure(exc))
                if attempt == self.max_attempts:
                    return await self._dead_letter(
                        record,
                        f"handler: failed {attempt} times, last with {type(exc).__name__}",
                    )
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
                continue
            if verdict is Verdict.APPLIED:
                log.info("message_applied")
                self._crash_point(delivery)
            else:
                log.info("message_duplicate")
            return verdict
        raise AssertionError("unreachable")  # pragma: no cover

    async def _apply(self, delivery: Delivery[Any], route: Route) -> Verdict:
        envelope = delivery.envelope
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": delivery.record.topic,
            "messaging.message.id": str(envelope.id),
            "messaging.message.conversation_id": str(envelope.correlation_id),
            "csods.case": envelope.subject,
            "csods.tenant": self.tenant,
            "csods.service": self.service,
        }
        with tracing.consuming(delivery.record.headers, f"apply {envelope.type}", attributes):
            return await self._apply_in_span(delivery, route)

    async def _apply_in_span(self, delivery: Delivery[Any], route: Route) -> Verdict:
        envelope = delivery.envelope
        async with self.database.transaction(self.tenant) as tx:
            claimed = await tx.claim(
                consumer=self.service, source=envelope.source, message_id=str(envelope.id)
            )
            if not claimed:
                return Verdict.DUPLICATE
            await route.handle(tx, delivery)
        return Verdict.APPLIED

    async def _dead_letter(self, record: Record, reason: str) -> Verdict:
        async with self.database.transaction(self.tenant) as tx:
            # Keyed by position, not ce_id: a replayed dead letter arrives at a new offset
            # and is processed afresh; a redelivered one is not dead-lettered twice.
            fresh = await tx.claim(
                consumer=self._dead_consumer,
                source=f"{record.topic}/{record.partition}",
                message_id=str(record.offset),
            )
            if fresh:
                tx.emit_record(
                    dead_letter_record(
                        record,
                        tenant=self.tenant,
                        consumer=self.service,
                        reason=reason,
                        at=self.clock.now(),
                        keys=self.keys,
                    )
                )
        DEAD_LETTERS.labels(self.service, self.tenant, record.topic).inc()
        log.warning(
            "message_dead_lettered",
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        return Verdict.DEAD

    def _crash_point(self, delivery: Delivery[Any]) -> None:
        # Tests only: die between the database commit and the offset commit.
        if self.crash_after_commit and delivery.envelope.type == self.crash_after_commit:
            log.warning("fault_injected_crash_after_commit")
            os.kill(os.getpid(), signal.SIGKILL)


def describe_validation_error(exc: ValidationError) -> str:
    """Name each failing field and its rule, never the value (it may be personal data)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "payload"
        parts.append(f"{where}: {error['msg']} ({error['type']})")
    return "; ".join(parts)
