"""Offsets are committed in the background, but only ever for records that finished."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas import topics
from services.runtime.consumer import Record
from services.runtime.consuming import OffsetCommitter
from tests.support.stack import FoundStack


@pytest.fixture
async def consumer(
    stack: FoundStack, tenant: str
) -> AsyncIterator[tuple[AIOKafkaConsumer, TopicPartition]]:
    # The portal writes to the force's own inbox; intake reads it in its own group.
    topic = topics.inbox(tenant, tenant)
    producer = AIOKafkaProducer(**stack.principal_access(tenant, "portal").aiokafka())
    await producer.start()
    try:
        for number in range(5):
            await producer.send_and_wait(topic, f"record {number}".encode())
    finally:
        await producer.stop()
    reader = AIOKafkaConsumer(
        topic,
        **stack.principal_access(tenant, "intake").aiokafka(),
        group_id=f"{tenant}.intake",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await reader.start()
    try:
        yield reader, TopicPartition(topic, 0)
    finally:
        await reader.stop()


def as_record(message: object) -> Record:
    return Record(
        topic=message.topic,  # type: ignore[attr-defined]
        partition=message.partition,  # type: ignore[attr-defined]
        offset=message.offset,  # type: ignore[attr-defined]
        key=None,
        value=message.value,  # type: ignore[attr-defined]
        headers=(),
    )


async def committed_within(
    reader: AIOKafkaConsumer, partition: TopicPartition, expected: int, seconds: float = 10.0
) -> int | None:
    """The group's committed offset once it reaches `expected`, or as it is after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        offset: int | None = await reader.committed(partition)
        if offset == expected or asyncio.get_running_loop().time() > deadline:
            return offset
        await asyncio.sleep(0.05)


async def test_only_finished_records_are_committed_and_close_commits_the_last(
    consumer: tuple[AIOKafkaConsumer, TopicPartition],
) -> None:
    reader, partition = consumer
    committer = OffsetCommitter()
    read = [as_record(await reader.getone()) for _ in range(5)]
    for record in read[:3]:  # records 3 and 4 were read but are still being worked on
        await committer.finished(reader, record)
    assert await committed_within(reader, partition, 3) == 3  # in the background, soon
    await committer.close()
    assert await reader.committed(partition) == 3  # never past unfinished work
    await committer.finished(reader, read[3])  # from shutdown on, committed before it returns
    assert await reader.committed(partition) == 4


async def test_a_rebalance_commits_what_was_finished_first(
    consumer: tuple[AIOKafkaConsumer, TopicPartition],
) -> None:
    reader, partition = consumer
    committer = OffsetCommitter()
    read = [as_record(await reader.getone()) for _ in range(2)]
    await committer.finished(reader, read[1])  # its background commit has not run yet
    await committer.on_partitions_revoked({partition})
    assert await reader.committed(partition) == 2  # committed by the time the rebalance goes on
    await committer.close()
