"""Kafka clients: the relay's producer, and the topics a service needs."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.kafka_access import KafkaAccess

log = structlog.get_logger(__name__)


class TopicsMissing(RuntimeError):  # noqa: N818 - a state of the deployment, not a bug
    """Topics a service needs were never provisioned (or its principal may not see them)."""


async def start_producer(access: KafkaAccess, *, client_id: str) -> AIOKafkaProducer:
    """A started idempotent producer (acks=all) for the outbox relay."""
    producer = AIOKafkaProducer(
        **access.aiokafka(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
    )
    try:
        await producer.start()
    except BaseException:
        await producer.stop()  # no broker: let go of what the start opened
        raise
    return producer


async def require_topics(access: KafkaAccess, names: Iterable[str]) -> None:
    """Fail unless every topic exists and this principal may see it: clients never make topics."""
    admin = AIOKafkaAdminClient(**access.aiokafka())
    await admin.start()
    try:
        visible = set(await admin.list_topics())
    finally:
        await admin.close()
    missing = sorted(set(names) - visible)
    if missing:
        shown = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        raise TopicsMissing(
            f"topics not provisioned for Kafka principal {access.principal}: {shown} "
            "(run `csods access provision`)"
        )
