"""Plain Kafka reads the harness makes: partitions, bounded reads, group lag.

Each read is made as a provisioned principal (`KafkaAccess`) whose grants allow it: the
broker shows a principal only the topics and groups it may describe.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError

from services.runtime.kafka_access import KafkaAccess

OnRecord = Callable[[ConsumerRecord[bytes, bytes]], None]


class NotAllowed(RuntimeError):  # noqa: N818 - the broker's answer, not a bug here
    """A principal may not describe a topic it was expected to read: a grant is missing."""


async def _describe(admin: AIOKafkaAdminClient, topics: Iterable[str]) -> list[dict[str, Any]]:
    described: list[dict[str, Any]] = await admin.describe_topics(sorted(set(topics)))
    return described


def _partitions_of(described: Sequence[dict[str, Any]], principal: str) -> list[TopicPartition]:
    found: list[TopicPartition] = []
    for topic in described:
        code = topic["error_code"]
        if code == UnknownTopicOrPartitionError.errno:
            continue
        if code != 0:
            # Authorisation refused (29) most likely: say whose grants lack the topic.
            raise NotAllowed(f"{principal} may not describe {topic['topic']} (Kafka error {code})")
        found.extend(
            TopicPartition(topic["topic"], part["partition"]) for part in topic["partitions"]
        )
    return sorted(found)


async def partitions(access: KafkaAccess, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist (missing topics have none)."""
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        described = await _describe(admin, topics)
    finally:
        await admin.close()
    return _partitions_of(described, access.principal)


async def wait_topics(access: KafkaAccess, topics: Iterable[str], *, within: float = 30.0) -> None:
    """Wait until every topic exists and each of its partitions has a leader."""
    wanted = sorted(set(topics))
    deadline = time.monotonic() + within
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        while True:
            described = await _describe(admin, wanted)
            ready = {
                topic["topic"]
                for topic in described
                if topic["error_code"] == 0
                and topic["partitions"]
                and all(part["leader"] >= 0 for part in topic["partitions"])
            }
            if ready >= set(wanted):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"topics without a leader or not visible to {access.principal}: "
                    f"{sorted(set(wanted) - ready)}"
                )
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def read_all(access: KafkaAccess, topics: Sequence[str], on_record: OnRecord) -> int:
    """Read the topics from the beginning up to their end at the call; return records read."""
    tps = await partitions(access, topics)
    consumer = AIOKafkaConsumer(
        **access.aiokafka(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    read = 0
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        live = {tp for tp in tps if ends[tp] > 0}
        if not live:
            return 0
        consumer.assign(sorted(live))
        await consumer.seek_to_beginning(*live)
        while live:
            batches = await consumer.getmany(*live, timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        on_record(record)
                        read += 1
            for tp in list(live):
                if await consumer.position(tp) >= ends[tp]:
                    live.discard(tp)
    finally:
        await consumer.stop()
    return read


class _GroupReader:
    """One group's committed offsets and its topics' ends, read as the group's own principal."""

    def __init__(self, group: str, access: KafkaAccess, topics: Sequence[str]) -> None:
        self.group = group
        self._access = access
        self._topics = topics
        self._admin = AIOKafkaAdminClient(**access.aiokafka())
        self._consumer = AIOKafkaConsumer(**access.aiokafka(), group_id=None)
        self._tps: list[TopicPartition] = []

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()
        # Provisioned before the run: the partitions do not change while it lasts.
        self._tps = _partitions_of(await _describe(self._admin, self._topics), self.group)

    async def lag(self) -> int:
        ends: dict[TopicPartition, int] = (
            await self._consumer.end_offsets(self._tps) if self._tps else {}
        )
        committed = await self._admin.list_consumer_group_offsets(self.group)
        total = 0
        for tp in self._tps:
            done = committed.get(tp)
            # No committed offset means nothing of that partition was consumed yet.
            position = done.offset if done is not None and done.offset >= 0 else 0
            total += max(0, ends[tp] - position)
        return total

    async def stop(self) -> None:
        try:
            await self._consumer.stop()
        finally:
            await self._admin.close()


class GroupLag:
    """Records each consumer group has not committed yet, over the topics it reads.

    Each group is read as its own principal (a group is named as the principal whose member
    it is, `<tenant>.<service>`): no principal of a force may see an agency's groups. The
    clients stay connected for the run, so a poll costs no TLS or SCRAM handshake.
    """

    def __init__(
        self,
        groups: Mapping[str, Sequence[str]],
        access_of: Callable[[str], KafkaAccess],
    ) -> None:
        self._readers = [
            _GroupReader(group, access_of(group), topics) for group, topics in groups.items()
        ]

    async def start(self) -> None:
        """Connect every group's reader."""
        try:
            await asyncio.gather(*(reader.start() for reader in self._readers))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Disconnect them all."""
        await asyncio.gather(*(reader.stop() for reader in self._readers), return_exceptions=True)

    async def lag(self) -> dict[str, int]:
        """Each group's lag now."""
        found = await asyncio.gather(*(reader.lag() for reader in self._readers))
        return {reader.group: lag for reader, lag in zip(self._readers, found, strict=True)}

    async def wait_zero(self, *, within: float) -> tuple[dict[str, int], float | None]:
        """Poll until every group's lag is zero; return the last lag and when it got there."""
        started = time.monotonic()
        while True:
            lag = await self.lag()
            if not any(lag.values()):
                return lag, time.monotonic() - started
            if time.monotonic() - started > within:
                return lag, None
            await asyncio.sleep(0.25)


async def correlated_ids(access: KafkaAccess, topics: Sequence[str], correlation: str) -> set[str]:
    """The ids of every message of one case on these topics."""
    found: set[str] = set()

    def on_record(record: ConsumerRecord[bytes, bytes]) -> None:
        headers = dict(record.headers or ())
        if headers.get("ce_correlationid", b"").decode(errors="replace") == correlation:
            found.add(headers.get("ce_id", b"").decode(errors="replace"))

    await read_all(access, topics, on_record)
    return found
