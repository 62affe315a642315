"""Watches a chain's topics and notes when each case first reached each stage."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from bench.kafka_io import wait_topics
from bench.worker import CaseWorker
from schemas.envelope import Envelope, EnvelopeError
from services.runtime.kafka_access import KafkaAccess


@dataclass(frozen=True, slots=True)
class Seen:
    """A stage's message: when its sender stamped it and when the observer read it."""

    stamped: float
    arrived: float


class Observer:
    """A consumer without a group, from the start of a fresh tenant's topics."""

    def __init__(self, access: KafkaAccess, topics: Sequence[str], *, worker: CaseWorker) -> None:
        self._access = access  # a principal allowed to read the topics (a force's ops team)
        self._topics = list(topics)
        self._worker = worker
        self._seen: dict[tuple[str, str], Seen] = {}
        self._ids: defaultdict[str, set[str]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        """Start reading in the background, once every topic has its leaders."""
        await wait_topics(self._access, self._topics)
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            **self._access.aiokafka(),
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(self._consumer), name="bench-observer")

    async def stop(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    def seen(self, correlation: str, type_: str) -> Seen | None:
        """When the case first reached the stage marked by `type_`, if it has."""
        return self._seen.get((correlation, type_))

    def message_ids(self, correlation: str) -> set[str]:
        """Every message id seen for a case, on any observed topic."""
        return set(self._ids.get(correlation, ()))

    async def wait_for(
        self, correlations: Collection[str], type_: str, *, within: float
    ) -> float | None:
        """Wait until every case reached `type_`; return the seconds it took, None on timeout."""
        started = time.monotonic()
        waiting = set(correlations)
        while True:
            waiting = {c for c in waiting if (c, type_) not in self._seen}
            if not waiting:
                return time.monotonic() - started
            if time.monotonic() - started > within:
                return None
            if self._task is not None and self._task.done():
                self._task.result()  # the observer died: say why
            await asyncio.sleep(0.02)

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            arrived = time.time()  # one clock read per fetch: the records came together
            for records in batches.values():
                for record in records:
                    try:
                        envelope = Envelope.from_headers(record.headers or ())
                    except EnvelopeError:
                        continue  # not ours to judge here; the checker reads the topics too
                    correlation = str(envelope.correlation_id)
                    self._ids[correlation].add(str(envelope.id))
                    key = (correlation, envelope.type)
                    if key in self._seen:
                        continue
                    self._seen[key] = Seen(envelope.time.timestamp(), arrived)
                    await self._worker.on_event(record.topic, envelope, record.value or b"")
