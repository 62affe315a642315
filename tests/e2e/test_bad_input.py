"""Bad input on the real broker lands in the dead letters; the good input behind it goes on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas import topics
from schemas.intake import EnquiryRegisteredV1
from services import journey
from services.demo import online_enquiry
from services.ops import streams
from services.runtime.kafka_access import KafkaAccess
from tests.e2e.conftest import Start
from tests.support.outsider import read_all
from tests.support.stack import FoundStack


async def send_raw(
    portal: KafkaAccess,
    topic: str,
    key: bytes,
    records: list[tuple[bytes, list[tuple[str, bytes]]]],
) -> None:
    """Send raw records as the force's portal, keyed by the case as a sender must key them."""
    producer = AIOKafkaProducer(**portal.aiokafka(), max_request_size=2_000_000)
    await producer.start()
    try:
        for value, headers in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def read_dead_letters(ops: KafkaAccess, tenant: str, expected: int) -> list[dict[str, str]]:
    consumer = AIOKafkaConsumer(
        topics.dead_letters(tenant),
        **ops.aiokafka(),
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[dict[str, str]] = []
    try:
        async with asyncio.timeout(60):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    found.extend(
                        {name: value.decode(errors="replace") for name, value in record.headers}
                        for record in records
                    )
    finally:
        await consumer.stop()
    return found


def test_bad_messages_are_dead_lettered_and_the_consumer_keeps_going(
    stack: FoundStack, tenant: str, start_service: Start, count_rows: Callable[[str], int]
) -> None:
    intake = start_service("intake")
    command, envelope = online_enquiry(tenant)
    headers = envelope.to_headers()
    body = json.loads(command.to_json())
    wrong_force = {**body, "force": "cleveland"}
    no_channel = {key: value for key, value in body.items() if key != "channel"}
    unknown_type = [
        (name, b"csods.intake.teleport.v1" if name == "ce_type" else value)
        for name, value in headers
    ]
    bad = [
        (b"\xff\xfe this is not json", headers),
        (json.dumps(no_channel).encode(), headers),
        (json.dumps(wrong_force).encode(), headers),
        (b'{"pad": "' + b"x" * 600_000 + b'"}', headers),
        (command.to_json(), unknown_type),
        (command.to_json(), []),
    ]
    good_command, good_envelope = online_enquiry(tenant)
    portal, ops = stack.principal_access(tenant, "portal"), stack.principal_access(tenant, "ops")
    inbox = topics.inbox(tenant, tenant)
    asyncio.run(send_raw(portal, inbox, envelope.key, bad))
    asyncio.run(journey.publish(portal, inbox, good_command, good_envelope))

    letters = asyncio.run(read_dead_letters(ops, tenant, len(bad)))
    reasons = [letter["dlq_reason"] for letter in letters]
    assert len(reasons) == len(bad)
    assert "payload: Invalid JSON" in reasons[0]
    assert reasons[1] == "channel: Field required (missing)"
    assert reasons[2] == f"force: addressed to cleveland, but this is the inbox of {tenant}"
    assert reasons[3].startswith("payload: 600011 bytes exceeds the limit")
    assert reasons[4] == "header ce_type: unknown message type csods.intake.teleport.v1"
    assert reasons[5] == "header ce_id: required and missing"
    assert all(letter["dlq_consumer"] == "intake" for letter in letters)

    # Read from outside, the dead letters hold no clear value of what was sent: each is
    # sealed under the force's key, which opens it for the force's ops to show redacted.
    assert command.subject is not None
    assert command.contact is not None
    personal = [str(command.subject.names[0].surname).encode(), str(command.contact.where).encode()]
    assert [value for value, _ in bad if personal[0] in value]  # they were sent in clear
    outside = read_all(ops.confluent(), topics.dead_letters(tenant), group=f"{tenant}.ops")
    assert len(outside) == len(bad)
    for letter in outside:
        assert letter.headers["dlq_sealed"] == b"aes-256-gcm"
        assert not [name for name in personal if name in (letter.value or b"")]
    opened = asyncio.run(streams.dead_letters(ops, force=tenant, keys=stack.keys))
    assert [letter.value for letter in opened] == [value for value, _ in bad]
    shown = json.dumps([letter.shown() for letter in opened])
    assert not [name for name in personal if name.decode() in shown]

    # The valid enquiry behind them was registered: nothing behind the bad ones was lost.
    steps = asyncio.run(
        journey.follow(
            ops,
            [topics.stream(tenant, "intake", "enquiry-registered")],
            correlation_id=str(good_envelope.correlation_id),
            until_type=EnquiryRegisteredV1.TYPE,
            limit_seconds=60,
        )
    )
    assert len(steps) == 1
    assert count_rows("intake.enquiries") == 1
    assert intake.running
