"""Stream monitoring: consumer lag, outbox backlog, and the dead letters (architecture §4)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas import catalogue, topics
from schemas.envelope import H_TYPE
from schemas.redaction import redact_payload
from services.runtime import dead_letters as dlq
from services.runtime.consumer import H_REPLAY_CONSUMER, H_REPLAY_TOPIC
from services.runtime.kafka_access import KafkaAccess
from services.runtime.sealing import SealError, TenantKeys

# Added to a replayed record so that, should it fail again, its new dead letter carries the
# earlier reasons beside the new one. Not a dlq_* header: those are stripped on dead-lettering.
H_REPLAY_REASONS = "csods_replay_reasons"
H_REPLAY_OF = "csods_replay_of"
READ_LIMIT_SECONDS = 30.0
# Headers a dead-letter view may show: identifiers and categories, never data values.
SHOWN_HEADERS = (
    "ce_id",
    "ce_type",
    "ce_source",
    "ce_subject",
    "ce_time",
    "ce_correlationid",
    "ce_causationid",
    "ce_dataclassification",
    *sorted(dlq.DLQ_HEADERS),
    H_REPLAY_OF,
    H_REPLAY_TOPIC,
    H_REPLAY_CONSUMER,
)


@dataclass(frozen=True, slots=True)
class Lag:
    """How far one consumer group is behind on one topic."""

    group: str
    topic: str
    messages: int
    # Age of the oldest record not yet consumed; 0 when caught up; None when the ops
    # principal may not read the topic (an inbox, another service's command stream).
    seconds: float | None


@dataclass(frozen=True, slots=True)
class Backlog:
    """Outbox rows of one service schema and force not yet published."""

    schema: str
    force: str
    pending: int
    oldest_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record on a force's dead-letter topic."""

    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    value: bytes  # the original bytes, once opened; else as kept (sealed)
    unopened: str = ""  # why the value is still sealed: no keys given, or a key gone

    @property
    def ref(self) -> str:
        """How an operator names it: partition:offset."""
        return f"{self.partition}:{self.offset}"

    def header(self, name: str) -> str:
        """A header's text, or '' when absent."""
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return ""

    @property
    def reason(self) -> str:
        """Why it was dead-lettered."""
        return self.header(dlq.H_REASON)

    @property
    def earlier_reasons(self) -> list[str]:
        """Why it was dead-lettered before, if it is a replay that failed again."""
        raw = self.header(H_REPLAY_REASONS)
        try:
            found = json.loads(raw) if raw else []
        except json.JSONDecodeError:
            return [raw]
        return [str(item) for item in found] if isinstance(found, list) else [str(found)]

    def shown(self) -> dict[str, Any]:
        """Everything an operator may see: safe headers and the payload redacted."""
        return {
            "ref": self.ref,
            "headers": {name: self.header(name) for name in SHOWN_HEADERS if self.header(name)},
            "earlier_reasons": self.earlier_reasons,
            "payload": (
                f"[sealed: {self.unopened}]"
                if self.unopened
                else redact_payload(self.header(H_TYPE), self.value)
            ),
        }

    def opened(self, keys: TenantKeys, force: str) -> DeadLetter:
        """The letter with its original bytes, opened with the force's key if it can be."""
        headers = {name: value.decode(errors="replace") for name, value in self.headers}
        try:
            return replace(self, value=dlq.opened(keys, force, headers, self.value), unopened="")
        except SealError as exc:
            return replace(self, unopened=str(exc))


@dataclass(frozen=True, slots=True)
class Filter:
    """Which dead letters to replay; every criterion given must match."""

    consumer: str | None = None
    topic: str | None = None
    type: str | None = None
    reason_contains: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        """Whether a dead letter meets every criterion given."""
        return (
            (self.consumer is None or letter.header(dlq.H_CONSUMER) == self.consumer)
            and (self.topic is None or letter.header(dlq.H_TOPIC) == self.topic)
            and (self.type is None or letter.header(H_TYPE) == self.type)
            and (self.reason_contains is None or self.reason_contains in letter.reason)
        )


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Stop a consumer; aiokafka re-raises the cancellation of its own internal task here."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # we are being cancelled: pass it on


async def partitions_of(access: KafkaAccess, names: Sequence[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist among `names` (and that `access` may see)."""
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        described = await admin.describe_topics(list(names)) if names else []
    finally:
        await admin.close()
    return sorted(
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    )


def _consumer(access: KafkaAccess) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **access.aiokafka(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


def readable_by_ops(force: str) -> frozenset[str]:
    """The force's topics its ops principal may read: the streams it projects, its dead letters.

    Only these have a record whose age can be read; the others' lag is counted in messages.
    """
    return frozenset(spec.name(force) for spec in catalogue.consumed_by("ops"))


async def consumer_lag(access: KafkaAccess, *, force: str, now: datetime) -> list[Lag]:
    """Lag of every consumer group of a force (groups are `<force>.<service>`), per topic.

    `access` is the force's ops principal: it may describe its force's groups and topics.
    """
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        groups = sorted(
            str(group)
            for group, *_ in await admin.list_consumer_groups()
            if str(group).startswith(f"{force}.")
        )
        committed = {group: await admin.list_consumer_group_offsets(group) for group in groups}
    finally:
        await admin.close()
    ops_reads = readable_by_ops(force)
    consumer = _consumer(access)
    await consumer.start()
    try:
        partitions = {tp for offsets in committed.values() for tp in offsets}
        ends = await consumer.end_offsets(list(partitions)) if partitions else {}
        behind_by: dict[tuple[str, str], int] = {}
        ages: dict[tuple[str, str], float | None] = {}
        for group, offsets in committed.items():
            for tp, meta in offsets.items():
                if meta.offset < 0:
                    continue
                where = (group, tp.topic)
                behind = max(0, ends.get(tp, 0) - meta.offset)
                behind_by[where] = behind_by.get(where, 0) + behind
                age: float | None = 0.0
                if behind:
                    readable = tp.topic in ops_reads
                    age = await _age_at(consumer, tp, meta.offset, now) if readable else None
                ages[where] = _older(ages.get(where, 0.0), age)
    finally:
        await _stop(consumer)
    return [
        Lag(group, topic, behind_by[group, topic], ages[group, topic])
        for group, topic in sorted(behind_by)
    ]


def _older(first: float | None, second: float | None) -> float | None:
    """The greater age, or None when either is unknown."""
    return None if first is None or second is None else max(first, second)


async def _age_at(
    consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int, now: datetime
) -> float:
    """How old the record at an offset is: the lag in seconds of a group stopped there."""
    consumer.assign([tp])
    consumer.seek(tp, offset)
    batch = await consumer.getmany(tp, timeout_ms=2000, max_records=1)
    for records in batch.values():
        for record in records:
            written = datetime.fromtimestamp(record.timestamp / 1000, tz=UTC)
            return max(0.0, (now - written).total_seconds())
    return 0.0


async def outbox_backlog(owner_dsn: str, *, forces: Sequence[str]) -> list[Backlog]:
    """Pending outbox rows and the oldest of them, per service schema and force."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        schemas = [
            row["table_schema"]
            for row in await conn.fetch(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'"
                " AND table_schema NOT LIKE '%\\_rebuild' ORDER BY table_schema"
            )
        ]
        found = []
        for schema in schemas:
            for force in forces:
                async with conn.transaction(readonly=True):
                    row = await conn.fetchrow(
                        f'SELECT count(*) AS n, min(created_at) AS oldest FROM "{schema}".outbox'  # noqa: S608 - names from the catalog
                        " WHERE sent_at IS NULL AND tenant = $1",
                        force,
                    )
                assert row is not None
                found.append(Backlog(schema, force, int(row["n"]), row["oldest"]))
    finally:
        await conn.close()
    return found


async def dead_letters(
    access: KafkaAccess, *, force: str, keys: TenantKeys | None = None
) -> list[DeadLetter]:
    """Every record on a force's dead-letter topic, as of now, oldest first per partition.

    `access` is the force's ops principal, the one reader of its dead letters; with the
    force's `keys`, each letter's original bytes are opened (to show redacted, or replay).
    """
    topic = topics.dead_letters(force)
    consumer = _consumer(access)
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        partitions = await partitions_of(access, [topic])
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        waiting = {tp for tp in partitions if ends[tp] > await consumer.position(tp)}
        give_up = time.monotonic() + READ_LIMIT_SECONDS
        while waiting and time.monotonic() < give_up:
            batch = await consumer.getmany(*waiting, timeout_ms=500)
            for tp, records in batch.items():
                letters.extend(
                    DeadLetter(
                        record.partition,
                        record.offset,
                        datetime.fromtimestamp(record.timestamp / 1000, tz=UTC),
                        record.key,
                        tuple(record.headers or ()),
                        record.value or b"",
                        "" if keys is not None else "not opened here",
                    )
                    for record in records
                    if record.offset < ends[tp]
                )
                if await consumer.position(tp) >= ends[tp]:
                    waiting.discard(tp)
    finally:
        await _stop(consumer)
    if keys is not None:
        letters = [letter.opened(keys, force) for letter in letters]
    return sorted(letters, key=lambda letter: (letter.timestamp, letter.partition, letter.offset))


def select(letters: Sequence[DeadLetter], *, ref: str | None, where: Filter) -> list[DeadLetter]:
    """The dead letters named by `partition:offset` (or a bare offset), or matching a filter."""
    if ref is None:
        return [letter for letter in letters if where.matches(letter)]
    partition, _, offset = ref.rpartition(":")
    return [
        letter
        for letter in letters
        if str(letter.offset) == offset and (not partition or str(letter.partition) == partition)
    ]


def original_topic(letter: DeadLetter) -> str:
    """The topic a dead letter was first refused on ('' if it does not say).

    A replay refused again is dead-lettered from the replay topic, but still carries the
    original topic in its own replay header: that one is where its writers are proven.
    """
    refused_on = letter.header(dlq.H_TOPIC)
    if catalogue.spec_for(refused_on) is catalogue.REPLAYS:
        return letter.header(H_REPLAY_TOPIC)
    return refused_on


def replay_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The original headers minus the dlq_* ones, plus the reasons so far and where from.

    And whom it goes back to: the consumer that refused it, reading it as if it came from
    the topic it was refused on (services.runtime.consumer.replayed).
    """
    dropped = {*dlq.DLQ_HEADERS, H_REPLAY_REASONS, H_REPLAY_OF, H_REPLAY_TOPIC, H_REPLAY_CONSUMER}
    kept = [(name, value) for name, value in letter.headers if name not in dropped]
    reasons = [*letter.earlier_reasons, letter.reason]
    return [
        *kept,
        (H_REPLAY_REASONS, json.dumps(reasons).encode()),
        (H_REPLAY_OF, letter.ref.encode()),
        (H_REPLAY_TOPIC, original_topic(letter).encode()),
        (H_REPLAY_CONSUMER, letter.header(dlq.H_CONSUMER).encode()),
    ]


def replayable(letter: DeadLetter) -> bool:
    """Whether a letter names the topic and consumer it would go back to, and is open."""
    return (
        bool(original_topic(letter)) and bool(letter.header(dlq.H_CONSUMER)) and not letter.unopened
    )


async def replay(
    access: KafkaAccess,
    letters: Sequence[DeadLetter],
    *,
    force: str,
    before_sending: Callable[[DeadLetter], Awaitable[None]] | None = None,
    on_sent: Callable[[DeadLetter], None] | None = None,
) -> int:
    """Send each dead letter's original bytes and key back to its consumer; return how many.

    On the force's replay topic, the one topic its ops principal writes (never the original
    one, whose writers the topic proves); a letter naming no topic or consumer is skipped.
    `before_sending` is awaited for each letter first (the audit entry of who and why).
    """
    producer = AIOKafkaProducer(**access.aiokafka(), enable_idempotence=True, acks="all")
    await producer.start()
    sent = 0
    try:
        for letter in letters:
            if not replayable(letter):
                continue
            if before_sending is not None:
                await before_sending(letter)
            await producer.send_and_wait(
                topics.replays(force), letter.value, key=letter.key, headers=replay_headers(letter)
            )
            sent += 1
            if on_sent is not None:
                on_sent(letter)
    finally:
        await producer.stop()
    return sent


def age(oldest: datetime | None, now: datetime) -> timedelta | None:
    """How long the oldest pending row has waited."""
    return None if oldest is None else now - oldest
