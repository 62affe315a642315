"""The open-loop load driver: each case has a scheduled send time, whatever came before it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from services.demo import online_enquiry
from services.runtime.kafka_access import KafkaAccess


@dataclass(frozen=True, slots=True)
class Sent:
    """One case the driver submitted; times are wall-clock seconds, as ce_time is."""

    correlation: str
    submission: str
    message_id: str
    scheduled: float
    sent: float


def schedule(rate: float, duration: float, *, start: float) -> list[float]:
    """Evenly spaced send times: `rate` cases a second for `duration` seconds from `start`."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    count = max(1, round(rate * duration))
    return [start + index / rate for index in range(count)]


async def start_producer(access: KafkaAccess) -> AIOKafkaProducer:
    """A producer as the online portal would use: idempotent, every write acked by all."""
    # `access` is the sender's own principal, allowed to write only the chain's entry.
    producer = AIOKafkaProducer(
        **access.aiokafka(), enable_idempotence=True, acks="all", linger_ms=0
    )
    try:
        await producer.start()
    except BaseException:
        await producer.stop()  # no broker yet: let go of what the start opened
        raise
    return producer


async def drive(
    producer: AIOKafkaProducer, *, topic: str, tenant: str, times: Sequence[float]
) -> list[Sent]:
    """Send one online-portal enquiry at each scheduled time; never wait for the previous one."""
    sent: list[Sent] = []
    acks = []
    for at in times:
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        # Built at send time, as the portal would; a late send is still timed from `at`.
        command, envelope = online_enquiry(tenant)
        acks.append(
            await producer.send(
                topic, command.to_json(), key=envelope.key, headers=envelope.to_headers()
            )
        )
        sent.append(
            Sent(
                correlation=str(envelope.correlation_id),
                submission=command.submission_id,
                message_id=str(envelope.id),
                scheduled=at,
                sent=time.time(),
            )
        )
    await asyncio.gather(*acks)
    return sent
