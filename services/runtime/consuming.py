"""The one consumer loop of every service: records to processors, offsets after the commit.

One aiokafka consumer per process reads every topic the service reads (a pattern, so an
inbox of a sender provisioned later is read without a restart), and hands each record to
the `Processor` of its topic. Records of one partition are applied in order, one at a time;
up to `partitions_in_parallel` partitions are applied at once, as that many replicas in the
group would. A record's offset goes to the `OffsetCommitter` only once its transaction has
committed (or it was a duplicate, ignored or dead-lettered); a record to retry is sought
back, after a pause, and read again (architecture §4, §10).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from services.runtime.consumer import Processor, Record, Verdict, consumed, replayed
from services.runtime.kafka_access import KafkaAccess
from services.runtime.logs import failure
from services.runtime.waiting import broker_up

log = structlog.get_logger(__name__)

BATCH = 500  # records handed over by one fetch round, over all partitions
IDLE_POLL_MS = 500  # the longest one round waits for records; also how soon a stop is seen
# The longest the broker holds a fetch open when it has nothing new. aiokafka fetches from a
# broker only when no fetch to it is in flight, so a record arriving on one partition waits
# for the fetch of the others to come back: at aiokafka's default (500 ms) a half-second
# stall on an idle broker. Short, the stall is short; the price is an empty fetch this often.
FETCH_MAX_WAIT_MS = 50
CATCH_UP_CHECK_SECONDS = 5.0
UNROUTED_BACKOFF_SECONDS = 0.2


@dataclass
class Progress:
    """Whether the consumer has read its topics up to their ends, as last checked.

    Ops' deadline clocks wait for it: a model still catching up would hold cases open whose
    closure is merely unread, and breach them (section 6 breaches must be real ones).
    """

    caught_up: bool = False
    checked: float = 0.0


class OffsetCommitter(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commits the offsets of finished records in the background, one commit at a time.

    The loop goes on to the next record instead of waiting a broker round trip for each; the
    records finished meanwhile go in the next commit. A record finished but not yet
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
        tp = TopicPartition(record.topic, record.partition)
        self._finished[tp] = max(self._finished.get(tp, 0), record.offset + 1)
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
        log.info("partitions_revoked", partitions=len(revoked))
        try:
            await self.flush()
        except KafkaError as exc:
            log.warning("offset_commit_failed", **failure(exc))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Positions start from the group's committed offsets: from here records flow."""
        log.info("partitions_assigned", partitions=len(assigned))

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


class ConsumerLoop:
    """Reads a service's topics and applies each record through its topic's processor."""

    def __init__(
        self,
        *,
        access: KafkaAccess,
        group: str,
        client_id: str,
        pattern: str,
        processor_for: Callable[[str], Processor | None],
        replay_topics: Sequence[str] = (),
        partitions_in_parallel: int = 1,
        progress: Progress | None = None,
        startup_wait_seconds: float = 180.0,
    ) -> None:
        self._access = access
        self._group = group
        self._client_id = client_id
        self._pattern = pattern
        self._processor_for = processor_for
        self._replays = frozenset(replay_topics)
        self._slots = asyncio.Semaphore(partitions_in_parallel)
        self._progress = progress
        self._startup_wait = startup_wait_seconds
        self.committer = OffsetCommitter()
        self._stopping = False
        self._consumer: AIOKafkaConsumer | None = None

    async def ping(self) -> object:
        """Ask the broker for its topics through the running consumer (the health probe)."""
        if self._consumer is None:
            return False
        return await self._consumer.topics()

    def stop(self) -> None:
        """Finish the records being applied, commit their offsets, then leave the group."""
        self._stopping = True

    async def run(self, on_started: Callable[[], None] = lambda: None) -> None:
        """Consume until stopped (or cancelled); finished offsets are committed on the way out.

        `on_started` is called once the consumer has started: from then on a record sent to
        one of its topics is read by it."""
        consumer = AIOKafkaConsumer(
            **self._access.aiokafka(),
            group_id=self._group,
            client_id=self._client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            max_poll_records=BATCH,
        )
        consumer.subscribe(pattern=self._pattern, listener=self.committer)
        await broker_up(consumer.start, bootstrap=self._access.bootstrap, within=self._startup_wait)
        self._consumer = consumer
        on_started()
        try:
            while not self._stopping:
                batches = await consumer.getmany(timeout_ms=IDLE_POLL_MS, max_records=BATCH)
                if batches:
                    await asyncio.gather(
                        *(self._partition(consumer, tp, records) for tp, records in batches.items())
                    )
                await self._check_progress(consumer, idle=not batches)
        finally:
            self._consumer = None
            if self._progress is not None:
                self._progress.caught_up = False
            try:
                await self.committer.close()
            finally:
                await consumer.stop()

    async def _partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: Sequence[ConsumerRecord]
    ) -> None:
        """One partition's records of a round, in order; a retry stops the rest of them."""
        async with self._slots:
            for raw in records:
                if self._stopping:  # the rest is read again by whoever consumes next
                    return
                record = consumed(raw)
                if raw.topic in self._replays:
                    record = replayed(record)
                processor = self._processor_for(record.proof_topic)
                with structlog.contextvars.bound_contextvars(
                    topic=raw.topic, partition=raw.partition, offset=raw.offset
                ):
                    if processor is None:  # a replay for a topic this service does not read
                        verdict = Verdict.IGNORED
                    else:
                        verdict = await processor.process(record)
                if not verdict.commit_offset:
                    consumer.seek(tp, raw.offset)  # the same record is read again
                    pause = processor.backoff_seconds if processor else UNROUTED_BACKOFF_SECONDS
                    await asyncio.sleep(pause)
                    return
                await self.committer.finished(consumer, record)

    async def _check_progress(self, consumer: AIOKafkaConsumer, *, idle: bool) -> None:
        progress = self._progress
        if progress is None:
            return
        if not idle and time.monotonic() - progress.checked < CATCH_UP_CHECK_SECONDS:
            return
        assigned = list(consumer.assignment())
        ends = await consumer.end_offsets(assigned) if assigned else {}
        behind = [tp for tp in assigned if await consumer.position(tp) < ends[tp]]
        caught_up = bool(assigned) and not behind
        if caught_up != progress.caught_up or not progress.checked:
            log.info("consumer_caught_up" if caught_up else "consumer_catching_up")
        progress.caught_up = caught_up
        progress.checked = time.monotonic()
