"""A client from outside the project (confluent-kafka, librdkafka): what an attacker would run.

Nothing here uses the project's runtime, so a wall it finds shut is shut on the broker, not
only in our own code.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

Config = dict[str, str]
WAIT_SECONDS = 20.0


def connection_error(config: Config, *, seconds: float = WAIT_SECONDS) -> KafkaError | None:
    """Why a client cannot get in with `config` (the most telling error), or None if it can."""
    reported: list[KafkaError] = []
    producer = Producer({**config, "error_cb": reported.append, "socket.timeout.ms": "5000"})
    failed: KafkaError | None = None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            producer.list_topics(timeout=1.0)
        except KafkaException as exc:
            failed = exc.args[0]
        else:
            return None
        producer.poll(0.2)  # serves error_cb: librdkafka says there why the broker shut us out
        telling = [e for e in reported if e.code() != KafkaError._TRANSPORT]
        if telling:
            return telling[0]
    return reported[0] if reported else failed


def produce(
    config: Config,
    topic: str,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: Sequence[tuple[str, bytes]] = (),
) -> KafkaError | None:
    """Write one record; the broker's refusal, or None when it was acknowledged."""
    outcome: list[KafkaError | None] = []
    producer = Producer({**config, "message.timeout.ms": "15000", "acks": "all"})
    producer.produce(
        topic,
        value,
        key=key,
        headers=list(headers),
        on_delivery=lambda error, _message: outcome.append(error),
    )
    producer.flush(WAIT_SECONDS)
    assert outcome, f"no delivery report for {topic} within {WAIT_SECONDS:.0f} s"
    return outcome[0]


def visible_topics(config: Config) -> set[str]:
    """The topics the broker lets this principal see."""
    producer = Producer(config)
    return set(producer.list_topics(timeout=WAIT_SECONDS).topics)


def read_refusal(config: Config, topic: str, *, group: str) -> KafkaError | None:
    """Try to read a topic from its start in `group`; the broker's refusal, or None if it let us.

    Give the principal's own consumer group, so that the answer is about the topic alone.
    """
    consumer = Consumer(
        {
            **config,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": "false",
            "enable.partition.eof": "true",
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is None or error.code() == KafkaError._PARTITION_EOF:
                return None  # a record, or the end of the partition: it was let in
            return error
        raise AssertionError(f"neither read nor refused {topic} in {WAIT_SECONDS:.0f} s")
    finally:
        consumer.close()


def group_refusal(config: Config, topic: str, group: str) -> KafkaError | None:
    """Try to join a consumer group (subscribing to a topic); the broker's refusal, or None."""
    consumer = Consumer(
        {
            **config,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": "false",
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            error = message.error() if message is not None else None
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                return error
            if consumer.assignment():
                return None
        return None
    finally:
        consumer.close()


@dataclass(frozen=True)
class Read:
    """A record as an outside reader sees it."""

    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


def read_all(
    config: Config, topic: str, *, group: str, partitions: int = 1, seconds: float = 5.0
) -> list[Read]:
    """Every record of a topic from its start, assigned by hand (nothing committed)."""
    consumer = Consumer(
        {
            **config,
            "group.id": group,
            "enable.auto.commit": "false",
            "enable.partition.eof": "true",
        }
    )
    found: list[Read] = []
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        ended: set[int] = set()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(ended) < partitions:
            message: Message | None = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    ended.add(message.partition() or 0)
                    continue
                raise KafkaException(error)
            listed = message.headers() or []
            pairs = listed.items() if isinstance(listed, dict) else listed
            headers = {name: value for name, value in pairs if isinstance(value, bytes)}
            found.append(Read(message.key(), message.value(), headers))
    finally:
        consumer.close()
    return found


def code(error: KafkaError | None) -> str:
    """An error's name, for assertion messages: 'TOPIC_AUTHORIZATION_FAILED', or 'none'."""
    return "none" if error is None else error.name()
