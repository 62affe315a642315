"""The ops service as its own process on the real broker: live model, rebuild, dead letters."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from services.ops import rebuild, streams
from services.ops.case_studies import Event, case_study, open_cases, publish
from services.runtime.kafka_access import KafkaAccess
from services.runtime.settings import Settings
from tests.e2e.conftest import Start
from tests.support.stack import FoundStack

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def owner_value(database_url: str, tenant: str, query: str, *args: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(await conn.fetchval(query, tenant, *args))
    finally:
        await conn.close()


async def owner_count(database_url: str, tenant: str, query: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            return int(await conn.fetchval(query, tenant))
    finally:
        await conn.close()


def wait_until(check: Callable[[], bool], *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise TimeoutError("condition not reached")


def writers(stack: FoundStack, tenant: str) -> Callable[[str], KafkaAccess]:
    """Each of the force's services as itself, to write the streams it writes."""
    return lambda service: stack.principal_access(tenant, service)


async def send_bad(writer: KafkaAccess, good: Event) -> None:
    """A garbled and an unknown event on a good event's stream, as the stream's own writer."""
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415

    headers = good.envelope.to_headers()
    unknown = [
        (n, b"csods.intake.enquiry-registered.v9" if n == "ce_type" else v) for n, v in headers
    ]
    producer = AIOKafkaProducer(**writer.aiokafka())
    await producer.start()
    try:
        await producer.send_and_wait(
            good.topic, b"\xff not json", key=good.envelope.key, headers=headers
        )
        await producer.send_and_wait(
            good.topic, good.message.to_json(), key=good.envelope.key, headers=unknown
        )
    finally:
        await producer.stop()


def test_the_read_model_rebuilt_from_the_topics_equals_the_live_one(
    stack: FoundStack,
    tenant: str,
    start_service: Start,
    settings_for: Callable[..., Settings],
    database_url: str,
) -> None:
    ops = start_service("ops")
    now = datetime.now(UTC)
    events = [
        event for n in (1, 2, 3, 4) for event in case_study(tenant, n, start=START, case_number=n)
    ]
    events += open_cases(tenant, now=now, first_number=10)
    asyncio.run(publish(writers(stack, tenant), events))
    asyncio.run(send_bad(writers(stack, tenant)(events[0].writer), events[0]))

    # The live model takes every good event; the clocks raise one breach and one warning.
    history = "SELECT count(*) FROM ops.case_history WHERE tenant = $1"
    wait_until(lambda: asyncio.run(owner_count(database_url, tenant, history)) == len(events) + 2)
    pending = "SELECT count(*) FROM ops.outbox WHERE tenant = $1 AND sent_at IS NULL"
    wait_until(lambda: asyncio.run(owner_count(database_url, tenant, pending)) == 0)
    ops.wait_for_event("deadline_breached")

    settings = settings_for(tenant)
    ops_access = stack.principal_access(tenant, "ops")
    letters = asyncio.run(streams.dead_letters(ops_access, force=tenant))
    assert sorted(letter.header("dlq_consumer") for letter in letters) == ["ops", "ops"]

    # The rebuild reads the same streams in another order: the model must come out equal.
    report = asyncio.run(rebuild.rebuild(settings))
    print(
        f"\nrebuild: {report.records} records in {report.seconds:.2f} s = {report.per_second:.0f}/s"
    )
    assert report.applied == len(events) + 2  # with the breach and the warning read back
    assert sum(report.rejected.values()) == 2
    assert asyncio.run(rebuild.differences(settings)) == dict.fromkeys(
        ("cases", "deadlines", "case_history", "escalations"), 0
    )

    lags = asyncio.run(streams.consumer_lag(ops_access, force=tenant, now=datetime.now(UTC)))
    ours = [lag for lag in lags if lag.group == f"{tenant}.ops"]
    assert ours
    assert all(lag.messages == 0 for lag in ours)


def two_dead_letters(
    stack: FoundStack, tenant: str, start_service: Start
) -> tuple[KafkaAccess, Callable[[], list[streams.DeadLetter]]]:
    """The force's ops running, one event sent garbled and one unknown: both dead-lettered.

    Returns the ops principal's access and a reader of the force's dead letters.
    """
    start_service("ops")
    good = case_study(tenant, 4, start=START, case_number=1)[0]
    asyncio.run(send_bad(writers(stack, tenant)(good.writer), good))
    ops_access = stack.principal_access(tenant, "ops")

    def letters() -> list[streams.DeadLetter]:
        return asyncio.run(streams.dead_letters(ops_access, force=tenant, keys=stack.keys))

    wait_until(lambda: len(letters()) == 2)
    return ops_access, letters


def test_a_replayed_dead_letter_that_fails_again_returns_with_both_reasons(
    stack: FoundStack, tenant: str, start_service: Start
) -> None:
    ops_access, letters = two_dead_letters(stack, tenant, start_service)
    (garbled,) = streams.select(
        letters(), ref=None, where=streams.Filter(reason_contains="payload")
    )
    shown = garbled.shown()
    assert shown["payload"].startswith("[invalid csods.intake.enquiry-registered.v1")
    assert asyncio.run(streams.replay(ops_access, [garbled], force=tenant)) == 1

    wait_until(lambda: len(letters()) == 3)
    again = letters()[-1]
    assert again.header("csods_replay_of") == garbled.ref
    assert again.earlier_reasons == [garbled.reason]
    assert again.reason.startswith("payload:")
    assert timedelta(0) <= again.timestamp - garbled.timestamp


def test_a_replay_is_audited_with_who_and_why_and_a_dry_run_sends_nothing(
    stack: FoundStack, tenant: str, start_service: Start, database_url: str
) -> None:
    _, letters = two_dead_letters(stack, tenant, start_service)
    env = {**os.environ, **stack.client_env(), "CSODS_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "services", "ops", "dlq", "replay", "--force", tenant]
    command += ["--reason", "payload", "--by", "ops 9", "--why", "schema fixed"]

    dry = subprocess.run(
        [*command, "--dry-run"], env=env, capture_output=True, text=True, check=False
    )
    assert dry.returncode == 0, dry.stderr
    assert "would replay" in dry.stdout
    assert "dry run: 1 would be replayed" in dry.stdout
    audited = "SELECT count(*) FROM ops.audit_log WHERE tenant = $1 AND action = 'replay'"
    assert asyncio.run(owner_count(database_url, tenant, audited)) == 0

    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "1 replayed" in done.stdout
    assert asyncio.run(owner_count(database_url, tenant, audited)) == 1
    who = "SELECT actor || ' | ' || reason FROM ops.audit_log WHERE tenant = $1 AND action = $2"
    entry = asyncio.run(owner_value(database_url, tenant, who, "replay"))
    assert entry.startswith("ops/ops 9 | replayed ")
    assert entry.endswith(": schema fixed")
    wait_until(lambda: len(letters()) == 3)  # it failed again, as garbled bytes do
