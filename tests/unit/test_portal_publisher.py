"""The online form's publisher: a send that fails says so, and the next application goes
through a new producer, so a producer that lost every broker never wedges the form."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

from services.demo import online_enquiry
from services.portal import publisher as module
from services.portal.publisher import KafkaPublisher, PublishFailed
from services.runtime.kafka_access import KafkaAccess

FORCE = "warwickshire"


class Producer:
    def __init__(self, *, fails: bool) -> None:
        self.fails = fails
        self.sent: list[str] = []
        self.stopped = False

    async def send_and_wait(self, topic: str, value: bytes, **_: Any) -> None:
        if self.fails:
            raise KafkaTimeoutError("no broker")
        self.sent.append(topic)

    async def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Producer]:
    """Every producer the publisher starts: the first one fails its sends."""
    producers: list[Producer] = []

    async def start(_access: KafkaAccess, *, client_id: str) -> Producer:
        assert client_id == f"{FORCE}.portal"
        producers.append(Producer(fails=not producers))
        return producers[-1]

    async def up(call: Any, **_: Any) -> Any:
        return await call()

    monkeypatch.setattr(module, "start_producer", start)
    monkeypatch.setattr(module, "broker_up", up)
    return producers


def test_after_a_failed_send_the_next_application_goes_through_a_new_producer(
    made: list[Producer],
) -> None:
    async def scenario() -> None:
        publisher = KafkaPublisher(
            KafkaAccess("127.0.0.1:1", "SASL_SSL", username=f"{FORCE}.portal", password="-"),
            force=FORCE,
        )
        await publisher.start()
        with pytest.raises(PublishFailed, match="KafkaTimeoutError"):
            await publisher.publish(*online_enquiry(FORCE))
        await publisher.publish(*online_enquiry(FORCE))
        await publisher.stop()

    asyncio.run(scenario())
    first, second = made
    assert first.sent == []
    assert first.stopped
    assert second.sent == [f"inbox.{FORCE}.from.{FORCE}.v1"]


def test_no_broker_to_make_a_new_producer_is_a_failed_send_not_a_crash(
    made: list[Producer], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        publisher = KafkaPublisher(
            KafkaAccess("127.0.0.1:1", "SASL_SSL", username=f"{FORCE}.portal", password="-"),
            force=FORCE,
        )
        await publisher.start()
        with pytest.raises(PublishFailed):
            await publisher.publish(*online_enquiry(FORCE))

        async def refused(*_: Any, **__: Any) -> Producer:
            raise KafkaConnectionError("still down")

        monkeypatch.setattr(module, "start_producer", refused)
        with pytest.raises(PublishFailed, match="KafkaConnectionError"):
            await publisher.publish(*online_enquiry(FORCE))

    asyncio.run(scenario())
    assert len(made) == 1
