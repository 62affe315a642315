"""Follow one case across the streams by its correlation id: for the demo, tests and ops."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.base import Message
from schemas.envelope import Envelope, EnvelopeError
from services.runtime.kafka_access import KafkaAccess


@dataclass(frozen=True, slots=True)
class Step:
    """One message of a case's journey."""

    topic: str
    envelope: Envelope
    payload: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def time(self) -> datetime:
        """When the message was sent."""
        return self.envelope.time


async def publish(access: KafkaAccess, topic: str, message: Message, envelope: Envelope) -> None:
    """Publish one message the way an external system would (idempotent, acks=all).

    The broker lets `access`'s principal write only its own topics: an online portal its
    force's inbox from itself, an agency system the inboxes of the forces it serves.
    """
    producer = AIOKafkaProducer(**access.aiokafka(), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await send(producer, topic, message, envelope)
    finally:
        await producer.stop()


async def send(
    producer: AIOKafkaProducer, topic: str, message: Message, envelope: Envelope
) -> None:
    """Send one message through a started producer, its envelope in the headers, keyed by its
    subject, and wait for the broker's acknowledgement (a long-running sender keeps one)."""
    await producer.send_and_wait(
        topic, message.to_json(), key=envelope.key, headers=envelope.to_headers()
    )


async def follow(
    access: KafkaAccess,
    topics: Sequence[str],
    *,
    correlation_id: str,
    until_type: str,
    limit_seconds: float = 60.0,
    settle: float = 0.0,
) -> list[Step]:
    """Read the topics from the start and return the case's messages once `until_type` is seen.

    `settle` keeps reading that many seconds longer, to catch anything that comes twice.
    Without a consumer group: `access`'s principal needs READ on the topics, nothing more
    (a force's ops principal reads the streams it projects, never its inboxes).
    """
    consumer = AIOKafkaConsumer(
        *topics,
        **access.aiokafka(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    steps: list[Step] = []
    deadline = time.monotonic() + limit_seconds
    done_at: float | None = None
    try:
        while time.monotonic() < deadline:
            if done_at is not None and time.monotonic() >= done_at:
                return sorted(steps, key=lambda step: step.time)
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    with contextlib.suppress(EnvelopeError):
                        envelope = Envelope.from_headers(record.headers or ())
                        if str(envelope.correlation_id) != correlation_id:
                            continue
                        steps.append(
                            Step(
                                record.topic,
                                envelope,
                                record.value or b"",
                                tuple(record.headers or ()),
                            )
                        )
                        if envelope.type == until_type and done_at is None:
                            done_at = time.monotonic() + settle
        raise TimeoutError(
            f"no {until_type} for correlation {correlation_id} within {limit_seconds:.0f} s; "
            f"saw {[step.envelope.type for step in steps]}"
        )
    finally:
        await consumer.stop()
