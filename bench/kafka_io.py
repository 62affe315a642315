"""Plain Kafka reads the harness makes: partitions, bounded reads, group lag, topic set-up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError

OnRecord = Callable[[ConsumerRecord[bytes, bytes]], None]


async def partitions(bootstrap: str, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist (missing topics have none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described: list[dict[str, Any]] = await admin.describe_topics(sorted(set(topics)))
    finally:
        await admin.close()
    found: list[TopicPartition] = []
    for topic in described:
        if topic["error_code"] == UnknownTopicOrPartitionError.errno:
            continue
        found.extend(
            TopicPartition(topic["topic"], part["partition"]) for part in topic["partitions"]
        )
    return sorted(found)


async def wait_topics(bootstrap: str, topics: Iterable[str], *, within: float = 30.0) -> None:
    """Wait until every topic exists and each of its partitions has a leader."""
    wanted = sorted(set(topics))
    deadline = time.monotonic() + within
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while True:
            described: list[dict[str, Any]] = await admin.describe_topics(wanted)
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
                raise TimeoutError(f"topics without a leader: {sorted(set(wanted) - ready)}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def read_all(bootstrap: str, topics: Sequence[str], on_record: OnRecord) -> int:
    """Read the topics from the beginning up to their end at the call; return records read."""
    tps = await partitions(bootstrap, topics)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
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


async def group_lag(bootstrap: str, groups: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Records each consumer group has not committed yet, over the topics it reads."""
    all_tps = await partitions(bootstrap, {t for topics in groups.values() for t in topics})
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(all_tps) if all_tps else {}
        lag: dict[str, int] = {}
        for group, topics in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            total = 0
            for tp in all_tps:
                if tp.topic not in topics:
                    continue
                done = committed.get(tp)
                # No committed offset means nothing of that partition was consumed yet.
                position = done.offset if done is not None and done.offset >= 0 else 0
                total += max(0, ends[tp] - position)
            lag[group] = total
    finally:
        await consumer.stop()
        await admin.close()
    return lag


async def wait_lag_zero(
    bootstrap: str, groups: Mapping[str, Sequence[str]], *, within: float
) -> tuple[dict[str, int], float | None]:
    """Poll until every group's lag is zero; return the last lag and when it got there."""
    started = time.monotonic()
    while True:
        lag = await group_lag(bootstrap, groups)
        if not any(lag.values()):
            return lag, time.monotonic() - started
        if time.monotonic() - started > within:
            return lag, None
        await asyncio.sleep(0.25)


async def create_topics(bootstrap: str, names: Iterable[str], *, partitions: int) -> None:
    """Create topics (those that exist already are left as they are)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [name for name in sorted(set(names)) if name not in existing]
        if wanted:
            response = await admin.create_topics(
                [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in wanted]
            )
            for name, code, *_ in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"cannot create topic {name}: Kafka error {code}")
    finally:
        await admin.close()


def derived_from(tenant: str, owners: Iterable[str]) -> bool:
    """Whether a tenant is one of `owners` or named after one (`csc-x`, `x-intel`, `x-cost`)."""
    words = tenant.split("-")
    for owner in owners:
        size = len(owner.split("-"))
        if any("-".join(words[i : i + size]) == owner for i in range(len(words) - size + 1)):
            return True
    return False


async def tenant_topics(
    bootstrap: str, tenants: Iterable[str], *, exact: bool = False
) -> list[str]:
    """Every topic of these tenants, and unless `exact` of tenants named after them."""
    owners = list(tenants)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # Every topic name puts its tenant second (DESIGN.md section 3; bench.<tenant>.* too).
        names = await admin.list_topics()
    finally:
        await admin.close()
    return sorted(
        name
        for name in names
        if len(parts := name.split(".")) > 2
        and (parts[1] in owners if exact else derived_from(parts[1], owners))
    )


async def correlated_ids(bootstrap: str, topics: Sequence[str], correlation: str) -> set[str]:
    """The ids of every message of one case on these topics."""
    found: set[str] = set()

    def on_record(record: ConsumerRecord[bytes, bytes]) -> None:
        headers = dict(record.headers or ())
        if headers.get("ce_correlationid", b"").decode(errors="replace") == correlation:
            found.add(headers.get("ce_id", b"").decode(errors="replace"))

    await read_all(bootstrap, topics, on_record)
    return found


async def delete_tenant_topics(bootstrap: str, tenants: Iterable[str]) -> list[str]:
    """Delete every topic of these fresh bench tenants and of tenants named after them."""
    # The services also write to inboxes named after the force (its local intelligence,
    # children's social care, probation), which the broker creates on first write.
    doomed = await tenant_topics(bootstrap, tenants)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
    return doomed
