"""One record in, one effect or one dead letter out: the processor on a real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from schemas import topics
from schemas.checks import RequestChecksV1
from schemas.envelope import first_envelope, source_of
from schemas.intake import EnquiryRegisteredV1, RegisterEnquiryV1
from schemas.stages import Stage
from services.runtime import dead_letters as dlq
from services.runtime.consumer import Route, Verdict
from services.runtime.sealing import SealError
from services.runtime.unit_of_work import Database
from tests.component.conftest import Component
from tests.support.records import enquiry, envelope_for, inbox_record, record

Build = Callable[..., Awaitable[Component]]


async def outbox_rows(database: Database, tenant: str) -> list[dict[str, Any]]:
    async with database.transaction(tenant) as tx:
        rows = await tx.conn.fetch(
            "SELECT topic, key, header_names, header_values, payload FROM outbox ORDER BY id"
        )
    return [
        {
            "topic": row["topic"],
            "key": row["key"],
            "headers": dict(zip(row["header_names"], row["header_values"], strict=True)),
            "payload": row["payload"],
        }
        for row in rows
    ]


async def count(database: Database, tenant: str, table: str) -> int:
    async with database.transaction(tenant) as tx:
        return int(await tx.conn.fetchval(f"SELECT count(*) FROM {table}"))


async def dead_letters(database: Database, tenant: str) -> list[dict[str, Any]]:
    topic = topics.dead_letters(tenant)
    return [row for row in await outbox_rows(database, tenant) if row["topic"] == topic]


async def test_an_enquiry_becomes_a_case_with_its_events_in_the_outbox(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    command = enquiry(tenant)
    incoming = inbox_record(tenant, command)

    assert await intake.processor.process(incoming) is Verdict.APPLIED

    assert await count(intake.database, tenant, "enquiries") == 1
    emitted = await outbox_rows(intake.database, tenant)
    assert [row["topic"] for row in emitted] == [
        topics.stream(tenant, "intake", "enquiry-registered"),
        topics.stream(tenant, "intake", "request-checks"),
    ]
    registered = EnquiryRegisteredV1.model_validate_json(emitted[0]["payload"])
    assert registered.case_reference == f"{tenant}-2026-000001"
    assert emitted[0]["key"] == registered.case_reference.encode()
    cause = dict(incoming.headers)
    assert emitted[0]["headers"]["ce_causationid"] == cause["ce_id"]
    assert emitted[0]["headers"]["ce_correlationid"] == cause["ce_correlationid"]


async def test_the_same_message_twice_has_one_effect(component: Build, tenant: str) -> None:
    intake = await component("intake", tenant)
    incoming = inbox_record(tenant, enquiry(tenant))

    assert await intake.processor.process(incoming) is Verdict.APPLIED
    assert await intake.processor.process(incoming) is Verdict.DUPLICATE

    assert await count(intake.database, tenant, "enquiries") == 1
    assert len(await outbox_rows(intake.database, tenant)) == 2


async def test_the_same_submission_resent_under_a_new_id_is_one_case(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    command = enquiry(tenant)

    assert await intake.processor.process(inbox_record(tenant, command)) is Verdict.APPLIED
    assert await intake.processor.process(inbox_record(tenant, command)) is Verdict.APPLIED

    assert await count(intake.database, tenant, "enquiries") == 1
    assert len(await outbox_rows(intake.database, tenant)) == 2


async def assert_dead(component: Component, tenant: str, incoming: Any, reason: str) -> None:
    assert await component.processor.process(incoming) is Verdict.DEAD
    letters = await dead_letters(component.database, tenant)
    assert len(letters) == 1
    letter = letters[0]
    assert reason in letter["headers"]["dlq_reason"].decode()
    # Kept sealed under the tenant's key, bound to where it came from; the key opens it.
    original = incoming.value or b""
    if len(original) >= 8:
        assert original not in letter["payload"]
    headers = {name: value.decode() for name, value in letter["headers"].items()}
    assert headers["dlq_sealed"] == "aes-256-gcm"
    keys = component.processor.keys
    assert dlq.opened(keys, tenant, headers, letter["payload"]) == original
    with pytest.raises(SealError):  # under another tenant's name, it does not open
        dlq.opened(keys, tenant + "x", headers, letter["payload"])
    assert letter["headers"]["dlq_topic"].decode() == incoming.topic
    assert letter["headers"]["dlq_offset"].decode() == str(incoming.offset)
    for name, value in incoming.headers:
        assert letter["headers"][name] == value  # the original headers travel with it


async def test_bytes_that_are_not_json_are_dead_lettered(component: Build, tenant: str) -> None:
    intake = await component("intake", tenant)
    valid = inbox_record(tenant, enquiry(tenant))
    broken = record(valid.topic, value=b"\x00\x9f not json", headers=valid.headers)
    await assert_dead(intake, tenant, broken, "payload: Invalid JSON")


async def test_a_payload_failing_validation_is_dead_lettered_naming_the_field(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    valid = inbox_record(tenant, enquiry(tenant))
    body = json.loads(valid.value or b"")
    del body["channel"]
    invalid = record(valid.topic, value=json.dumps(body).encode(), headers=valid.headers)
    await assert_dead(intake, tenant, invalid, "channel: Field required")


async def test_a_message_addressed_to_another_force_is_dead_lettered(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    misaddressed = inbox_record(tenant, enquiry(tenant, force="cleveland"))
    await assert_dead(intake, tenant, misaddressed, "force: addressed to cleveland")


async def test_another_tenant_writing_to_a_private_stream_is_dead_lettered(
    component: Build, tenant: str
) -> None:
    checks = await component("checks", tenant)
    request = RequestChecksV1(
        case_reference=f"{tenant}-2026-000001",
        stage=Stage.INITIAL_CONTACT,
        parties=("subject",),
    )
    forged = first_envelope(
        type=request.TYPE,
        source=source_of("cleveland", "intake"),
        subject=request.case_reference,
        time=checks.clock.now(),
    )
    incoming = record(
        topics.stream(tenant, "intake", "request-checks"),
        value=request.to_json(),
        headers=forged.to_headers(),
    )
    await assert_dead(checks, tenant, incoming, "ce_source: tenant cleveland may not write")


async def test_a_sender_the_inbox_does_not_prove_is_dead_lettered(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    command = enquiry(tenant)
    claimed = envelope_for(command, sender="cleveland")  # but written to the force's own inbox
    forged = record(
        topics.inbox(tenant, tenant), value=command.to_json(), headers=claimed.to_headers()
    )
    await assert_dead(
        intake,
        tenant,
        forged,
        f"header ce_source: names tenant cleveland, but only {tenant} may write to "
        f"{topics.inbox(tenant, tenant)}: the sender is not proven",
    )


async def test_a_record_on_a_topic_that_is_no_inbox_of_a_sender_is_dead_lettered(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    valid = inbox_record(tenant, enquiry(tenant))
    old_layout = record(f"inbox.{tenant}.v1", value=valid.value, headers=valid.headers)
    await assert_dead(intake, tenant, old_layout, "is neither a stream nor an inbox of a sender")


async def test_a_key_that_is_not_the_subject_is_dead_lettered(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    valid = inbox_record(tenant, enquiry(tenant))
    rekeyed = record(valid.topic, value=valid.value, headers=valid.headers, key=b"another-case")
    await assert_dead(intake, tenant, rekeyed, "key: the record's key must equal header ce_subject")
    unkeyed = record(valid.topic, value=valid.value, headers=valid.headers, key=None)
    assert await intake.processor.process(unkeyed) is Verdict.DEAD
    assert await count(intake.database, tenant, "enquiries") == 0


async def test_an_oversized_payload_is_dead_lettered_unread(component: Build, tenant: str) -> None:
    intake = await component("intake", tenant, max_message_bytes=4096)
    valid = inbox_record(tenant, enquiry(tenant))
    huge = record(valid.topic, value=b"{" + b" " * 5000 + b"}", headers=valid.headers)
    await assert_dead(intake, tenant, huge, "payload: 5002 bytes exceeds the limit of 4096")


async def test_an_unknown_message_type_is_dead_lettered(component: Build, tenant: str) -> None:
    intake = await component("intake", tenant)
    command = enquiry(tenant)
    envelope = envelope_for(command, sender=tenant)
    headers = [
        (name, b"csods.intake.teleport-enquiry.v1" if name == "ce_type" else value)
        for name, value in envelope.to_headers()
    ]
    unknown = record(topics.inbox(tenant, tenant), value=command.to_json(), headers=headers)
    await assert_dead(intake, tenant, unknown, "ce_type: unknown message type")


async def test_a_major_version_the_consumer_does_not_read_is_dead_lettered(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    command = enquiry(tenant)
    envelope = envelope_for(command, sender=tenant)
    headers = [
        (name, b"csods.intake.register-enquiry.v2" if name == "ce_type" else value)
        for name, value in envelope.to_headers()
    ]
    newer = record(topics.inbox(tenant, tenant), value=command.to_json(), headers=headers)
    await assert_dead(
        intake,
        tenant,
        newer,
        "header ce_type: csods.intake.register-enquiry version v2 is not one this consumer "
        "reads (it reads v1)",
    )


async def test_a_record_without_an_envelope_is_dead_lettered(component: Build, tenant: str) -> None:
    intake = await component("intake", tenant)
    bare = record(topics.inbox(tenant, tenant), value=enquiry(tenant).to_json(), headers=[])
    await assert_dead(intake, tenant, bare, "header ce_id: required and missing")


async def test_a_subject_that_contradicts_the_payload_is_dead_lettered(
    component: Build, tenant: str
) -> None:
    checks = await component("checks", tenant)
    request = RequestChecksV1(
        case_reference=f"{tenant}-2026-000007",
        stage=Stage.INITIAL_CONTACT,
        parties=("subject",),
    )
    envelope = first_envelope(
        type=request.TYPE,
        source=source_of(tenant, "intake"),
        subject=f"{tenant}-2026-000008",
        time=checks.clock.now(),
    )
    incoming = record(
        topics.stream(tenant, "intake", "request-checks"),
        value=request.to_json(),
        headers=envelope.to_headers(),
    )
    await assert_dead(checks, tenant, incoming, "differs from header ce_subject")


async def test_a_bad_record_delivered_twice_makes_one_dead_letter(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    bare = record(topics.inbox(tenant, tenant), value=b"junk", headers=[])
    assert await intake.processor.process(bare) is Verdict.DEAD
    assert await intake.processor.process(bare) is Verdict.DEAD
    assert len(await dead_letters(intake.database, tenant)) == 1


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_bounded_retries(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant, max_attempts=3)
    calls: list[int] = []

    async def broken(tx: Any, delivery: Any) -> None:
        calls.append(1)
        raise ZeroDivisionError

    intake.processor.routes = {RegisterEnquiryV1.TYPE: Route(RegisterEnquiryV1, broken)}
    incoming = inbox_record(tenant, enquiry(tenant))
    reason = "handler: failed 3 times, last with ZeroDivisionError"
    await assert_dead(intake, tenant, incoming, reason)
    assert len(calls) == 3
    assert await count(intake.database, tenant, "inbox WHERE consumer = 'intake'") == 0


async def test_a_lost_database_means_read_again_later_never_dead(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    await intake.database.pool.close()
    verdict = await intake.processor.process(inbox_record(tenant, enquiry(tenant)))
    assert verdict is Verdict.RETRY
    assert not verdict.commit_offset


async def test_a_message_for_a_sibling_service_is_acknowledged_unread(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    intake.processor.ignored = frozenset({"csods.multiagency.consultation-answered.v1"})
    command = enquiry(tenant)
    envelope = envelope_for(command, sender="csc-warwickshire")
    headers = [
        (name, b"csods.multiagency.consultation-answered.v1" if name == "ce_type" else value)
        for name, value in envelope.to_headers()
    ]
    sibling = record(topics.inbox(tenant, "csc-warwickshire"), value=b"{}", headers=headers)
    assert await intake.processor.process(sibling) is Verdict.IGNORED
    assert await outbox_rows(intake.database, tenant) == []


async def test_events_caused_by_an_enquiry_carry_its_correlation(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    checks = await component("checks", tenant)
    command = enquiry(tenant)
    incoming = inbox_record(tenant, command)
    await intake.processor.process(incoming)
    request_row = (await outbox_rows(intake.database, tenant))[1]
    forwarded = record(
        request_row["topic"],
        value=request_row["payload"],
        headers=list(request_row["headers"].items()),
        key=request_row["key"],
    )
    assert await checks.processor.process(forwarded) is Verdict.APPLIED
    completed = (await outbox_rows(checks.database, tenant))[0]
    assert completed["headers"]["ce_correlationid"] == dict(incoming.headers)["ce_correlationid"]
    assert completed["headers"]["ce_causationid"] == request_row["headers"]["ce_id"]


async def test_verdicts_and_dead_letters_are_counted_for_prometheus(
    component: Build, tenant: str
) -> None:
    from prometheus_client import REGISTRY  # noqa: PLC0415

    intake = await component("intake", tenant)
    incoming = inbox_record(tenant, enquiry(tenant))
    await intake.processor.process(incoming)
    await intake.processor.process(incoming)
    await intake.processor.process(record(incoming.topic, value=b"junk", headers=[]))

    def sample(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"service": "intake", "tenant": tenant, **labels})

    topic = incoming.topic
    assert sample("csods_messages_total", topic=topic, verdict="applied") == 1
    assert sample("csods_messages_total", topic=topic, verdict="duplicate") == 1
    assert sample("csods_messages_total", topic=topic, verdict="dead") == 1
    assert sample("csods_dead_letters_total", topic=topic) == 1
