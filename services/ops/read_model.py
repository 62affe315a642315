"""The read model's consumer: one Kafka consumer over every stream of a force.

The runtime subscribes one consumer per topic; ops reads 22 streams, and 22 members of one
group joining one after another rebalance for over a minute before any record is read. So
ops runs one consumer over all its streams, in the same consumer group, and hands each
record to the runtime's own `Processor` of that topic: the same tenant walls, inbox, dead
letters and manual offset commits (committed only after the transaction, architecture §4).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from schemas import topics
from services.runtime.broker import require_topics
from services.runtime.clock import Clock
from services.runtime.consumer import Processor, Route, consumed, replayed
from services.runtime.kafka_access import access_for
from services.runtime.service import group_id
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database

log = structlog.get_logger(__name__)
BATCH = 500
CATCH_UP_CHECK_SECONDS = 5.0


@dataclass
class Progress:
    """Whether the consumer has read its streams up to their ends, as last checked.

    The deadline clocks wait for it: a model still catching up would hold cases open whose
    closure is merely unread, and breach them (section 6 breaches must be real ones).
    """

    caught_up: bool = False
    checked: float = 0.0


class _Logged(ConsumerRebalanceListener):  # type: ignore[misc]
    """Says when the consumer has its partitions: from then on records flow."""

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        log.info("read_model_partitions_revoked", partitions=len(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("read_model_partitions_assigned", partitions=len(assigned))


def processors(
    database: Database,
    *,
    tenant: str,
    service: str,
    clock: Clock,
    settings: Settings,
    routes: Mapping[str, Mapping[str, Route]],
) -> dict[str, Processor]:
    """One runtime processor per topic, each with that topic's routes only."""
    return {
        topic: Processor(
            service=service,
            tenant=tenant,
            database=database,
            routes=by_type,
            clock=clock,
            max_message_bytes=settings.max_message_bytes,
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.retry_backoff_seconds,
        )
        for topic, by_type in routes.items()
    }


async def _check(consumer: AIOKafkaConsumer, progress: Progress) -> None:
    assigned = list(consumer.assignment())
    ends = await consumer.end_offsets(assigned) if assigned else {}
    behind = [tp for tp in assigned if await consumer.position(tp) < ends[tp]]
    if progress.caught_up != (not behind) or not progress.checked:
        log.info("read_model_caught_up" if not behind else "read_model_catching_up")
    progress.caught_up = bool(assigned) and not behind
    progress.checked = time.monotonic()


async def consume(
    settings: Settings,
    by_topic: Mapping[str, Processor],
    *,
    service: str,
    progress: Progress | None = None,
) -> None:
    """Consume until cancelled; a batch's offsets are committed once its records are applied."""
    access = access_for(settings, service)
    # Dead letters the force's ops team sends back come on its replay topic, each read as if
    # from the stream it was first refused on.
    replay_topic = topics.replays(settings.tenant)
    await require_topics(access, [*by_topic, replay_topic])
    consumer = AIOKafkaConsumer(
        **access.aiokafka(),
        group_id=group_id(settings.tenant, service),
        client_id=f"{settings.tenant}.{service}.read-model",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=BATCH,
    )
    consumer.subscribe(topics=[*sorted(by_topic), replay_topic], listener=_Logged())
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
            done: dict[TopicPartition, int] = {}
            for tp, records in batches.items():
                for record in records:
                    read = consumed(record)
                    if tp.topic == replay_topic:
                        read = replayed(read)
                    processor = by_topic.get(read.proof_topic)
                    if processor is None:  # a replay for a stream ops does not read
                        done[tp] = record.offset + 1
                        continue
                    with structlog.contextvars.bound_contextvars(
                        topic=tp.topic, partition=tp.partition, offset=record.offset
                    ):
                        verdict = await processor.process(read)
                    if not verdict.commit_offset:
                        consumer.seek(tp, record.offset)  # read it again after a pause
                        await asyncio.sleep(processor.backoff_seconds)
                        break
                    done[tp] = record.offset + 1
            if done:
                await consumer.commit(done)
            if progress is not None and (
                not batches or time.monotonic() - progress.checked > CATCH_UP_CHECK_SECONDS
            ):
                await _check(consumer, progress)
    finally:
        if progress is not None:
            progress.caught_up = False
        await consumer.stop()
