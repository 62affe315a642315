"""The fault suite's load: online applications at fixed times, each sent until the broker
takes it, as the online form's own sender would; how often the broker refused is counted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from bench.load import Sent
from services.demo import online_enquiry

RESEND_AFTER_SECONDS = 1.0


@dataclass(frozen=True)
class Offered:
    """The cases sent, and the sends the broker refused before it took them."""

    cases: list[Sent]
    refused: int


async def offer(
    producer: AIOKafkaProducer, *, topic: str, tenant: str, times: Sequence[float]
) -> Offered:
    """Send one application at each time, never waiting for the one before it."""
    refused = 0

    async def one(at: float) -> Sent:
        nonlocal refused
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        command, envelope = online_enquiry(tenant)
        first = time.time()
        while True:
            try:
                sending = await producer.send(
                    topic, command.to_json(), key=envelope.key, headers=envelope.to_headers()
                )
                await sending
                break
            except KafkaError:
                # The same message again (same id): the inbox takes it once, whatever arrived.
                refused += 1
                await asyncio.sleep(RESEND_AFTER_SECONDS)
        return Sent(
            correlation=str(envelope.correlation_id),
            submission=command.submission_id,
            message_id=str(envelope.id),
            scheduled=at,
            sent=first,
        )

    cases = await asyncio.gather(*(one(at) for at in times))
    return Offered(list(cases), refused)
