"""The fault suite's load: online applications at fixed times, each sent until the broker
takes it, as the online form's own sender would; how often the broker refused is counted.

A send waits for the broker's acknowledgement for as long as the form does; one that fails is
sent again (the same message: the inbox takes it once). After a failure the producer is
replaced, as a client that lost every broker must: one that kept its old connections and
sequence numbers may never recover. A case the broker has not taken by the deadline is
counted as not taken, and the fault fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from bench.load import Sent
from services.demo import online_enquiry

RESEND_AFTER_SECONDS = 1.0
ACK_TIMEOUT_SECONDS = 10.0  # as the online form waits (CSODS_PORTAL_PUBLISH_TIMEOUT_SECONDS)

ProducerFactory = Callable[[], Awaitable[AIOKafkaProducer]]


@dataclass(frozen=True)
class Offered:
    """The cases the broker took, the sends it refused first, and any it never took."""

    cases: list[Sent]
    refused: int
    refusals: dict[str, int]  # by the error's type
    not_taken: int
    producers: int  # producers used: 1 unless one had to be replaced


@dataclass
class _Sender:
    """One producer at a time, replaced once after a failure of that very producer."""

    start: ProducerFactory
    producer: AIOKafkaProducer
    made: int = 1
    replacing: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def replace(self, failed: AIOKafkaProducer) -> None:
        async with self.replacing:
            if self.producer is not failed:
                return  # another send replaced it already
            try:
                fresh = await self.start()
            except KafkaError:
                return  # still no broker: the next failure tries again
            self.producer, self.made = fresh, self.made + 1
            await asyncio.shield(_quietly_stop(failed))


async def _quietly_stop(producer: AIOKafkaProducer) -> None:
    with contextlib.suppress(KafkaError, TimeoutError):
        await asyncio.wait_for(producer.stop(), 5.0)


async def offer(
    start: ProducerFactory,
    *,
    topic: str,
    tenant: str,
    times: Sequence[float],
    give_up_after: float,
) -> Offered:
    """Send one application at each time, never waiting for the one before it."""
    sender = _Sender(start, await start())
    refusals: Counter[str] = Counter()

    async def one(at: float) -> Sent | None:
        delay = at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        command, envelope = online_enquiry(tenant)
        first = time.time()
        while time.time() < first + give_up_after:
            producer = sender.producer
            try:
                sending = await asyncio.wait_for(
                    producer.send(
                        topic, command.to_json(), key=envelope.key, headers=envelope.to_headers()
                    ),
                    ACK_TIMEOUT_SECONDS,
                )
                await asyncio.wait_for(sending, ACK_TIMEOUT_SECONDS)
            except (KafkaError, TimeoutError) as exc:
                refusals[type(exc).__name__] += 1
                await sender.replace(producer)
                await asyncio.sleep(RESEND_AFTER_SECONDS)
                continue
            return Sent(
                correlation=str(envelope.correlation_id),
                submission=command.submission_id,
                message_id=str(envelope.id),
                scheduled=at,
                sent=first,
            )
        return None

    try:
        sent = await asyncio.gather(*(one(at) for at in times))
    finally:
        await _quietly_stop(sender.producer)
    taken = [case for case in sent if case is not None]
    return Offered(
        cases=taken,
        refused=sum(refusals.values()),
        refusals=dict(refusals),
        not_taken=len(sent) - len(taken),
        producers=sender.made,
    )
