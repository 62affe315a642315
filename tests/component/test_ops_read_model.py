"""The ops read model on a real PostgreSQL: projection, clocks, MI and the tenant wall."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from schemas.deadlines import DeadlineBreachedV1
from schemas.stages import Deadline
from services.ops import handlers, mi, store, use_cases, views
from services.ops.case_studies import Event, case_study, open_cases
from services.ops.rebuild import Rebuilt, apply_records, open_schema
from services.runtime.clock import FrozenClock
from services.runtime.consumer import Processor, Record, Verdict
from services.runtime.handlers import subscriptions
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database
from tests.support.schemas import login

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Ops:
    database: Database
    processor: Processor
    clock: FrozenClock
    tenant: str

    async def feed(self, events: list[Event]) -> list[Verdict]:
        return [
            await self.processor.process(as_record(event, offset))
            for offset, event in enumerate(events)
        ]

    async def outbox_types(self) -> list[str]:
        async with self.database.transaction(self.tenant) as tx:
            rows = await tx.conn.fetch("SELECT header_names, header_values FROM outbox ORDER BY id")
        return [
            dict(zip(row["header_names"], row["header_values"], strict=True))["ce_type"].decode()
            for row in rows
        ]


def as_record(event: Event, offset: int) -> Record:
    return Record(
        topic=event.topic,
        partition=0,
        offset=offset,
        key=event.envelope.key,
        value=event.message.to_json(),
        headers=tuple(event.envelope.to_headers()),
    )


@pytest.fixture
async def ops(settings_for: Callable[..., Settings], tenant: str) -> AsyncIterator[Ops]:
    await login(settings_for(tenant), "ops")
    database = await open_schema(settings_for(tenant), "ops")
    clock = FrozenClock(START)
    routes = {
        kind: route
        for subscription in subscriptions("ops", tenant, handlers.HANDLERS, handlers.Deps())
        for kind, route in subscription.routes.items()
    }
    processor = Processor(
        service="ops",
        tenant=tenant,
        database=database,
        routes=routes,
        clock=clock,
        backoff_seconds=0.0,
    )
    yield Ops(database, processor, clock, tenant)
    await database.pool.close()


async def test_the_four_case_studies_project_to_their_outcomes_in_the_mi(ops: Ops) -> None:
    for number in (1, 2, 3, 4):
        verdicts = await ops.feed(case_study(ops.tenant, number, start=START, case_number=number))
        assert set(verdicts) == {Verdict.APPLIED}
    async with ops.database.transaction(ops.tenant) as tx:
        figures = await mi.figures(
            tx,
            start=START,
            end=START + timedelta(days=90),
            now=START + timedelta(days=90),
        )
    assert (figures.enquiries, figures.applications, figures.disclosures) == (4, 4, 2)
    assert {outcome.value: n for outcome, n in figures.outcomes.items() if n} == {
        "disclosure": 1,
        "no-disclosure-protective-action": 1,
        "partial-disclosure": 1,
        "no-disclosure": 1,
    }
    assert figures.registered_offenders == 2
    assert all(tally.met == 4 and tally.missed == 0 for tally in figures.clocks)
    whole = figures.stage_times[-1]
    assert whole.cases == 4
    assert whole.worst == timedelta(days=30)


async def test_events_read_in_any_order_or_twice_give_the_same_case(ops: Ops, tenant: str) -> None:
    events = case_study(tenant, 1, start=START, case_number=7)
    await ops.feed(list(reversed(events)))
    again = await ops.feed(events)
    assert set(again) == {Verdict.DUPLICATE}
    async with ops.database.transaction(tenant) as tx:
        (case,) = await store.rows(tx, table="cases")
        history = await views.history(tx, case_reference=case["case_reference"])
    assert case["stage_rank"] == 6
    assert case["outcome"] == "disclosure"
    assert case["events"] == len(events)
    assert case["contact_at"] == START
    assert case["registered_offender"]
    assert len(history) == len(events)


async def test_a_malformed_or_unknown_event_is_dead_lettered_and_the_model_goes_on(
    ops: Ops, tenant: str
) -> None:
    good = case_study(tenant, 4, start=START, case_number=1)
    first = as_record(good[0], 1)
    garbled = Record(first.topic, 0, 2, first.key, b"{not json", first.headers)
    unknown_headers = tuple(
        (name, b"csods.intake.enquiry-registered.v2" if name == "ce_type" else value)
        for name, value in first.headers
    )
    unknown = Record(first.topic, 0, 3, first.key, first.value, unknown_headers)
    assert await ops.processor.process(garbled) is Verdict.DEAD
    assert await ops.processor.process(unknown) is Verdict.DEAD
    assert set(await ops.feed(good)) == {Verdict.APPLIED}
    # Both wait in the outbox for dlq.<force>.v1, each with its own ce_type.
    assert await ops.outbox_types() == [
        "csods.intake.enquiry-registered.v1",
        "csods.intake.enquiry-registered.v2",
    ]


async def test_fast_forward_raises_each_breach_once_and_only_once(ops: Ops, tenant: str) -> None:
    late = open_cases(tenant, now=START, first_number=1)[:2]  # registered 12 days ago, applied
    registered_at = START - timedelta(days=12)
    ops.clock.current = registered_at
    await ops.feed(late)
    for _ in range(100):  # 100 rounds, 12 hours apart: 50 days
        await use_cases.run_deadline_clocks(ops.database, tenant=tenant, clock=ops.clock)
        ops.clock.advance(timedelta(hours=12))
    raised = await ops.outbox_types()
    # Stage one was met (late) by the application; the 10 and 45 days clocks breach, once.
    assert raised.count(DeadlineBreachedV1.TYPE) == 2
    assert raised.count("csods.ops.deadline-warning.v1") == 2
    async with ops.database.transaction(tenant) as tx:
        clocks = {row["deadline"]: row for row in await store.rows(tx, table="deadlines")}
    assert clocks["risk-assessment"]["breaches"] == 1
    assert clocks["closure"]["breaches"] == 1
    assert clocks["stage-one"]["breaches"] == 0

    # 5.4.8: a justified deviation moves the clock; it may breach again, once, at its new date.
    async with ops.database.transaction(tenant) as tx:
        await use_cases.record_deviation(
            tx,
            case_reference=late[0].envelope.subject,
            deadline=Deadline.RISK_ASSESSMENT,
            new_due_at=ops.clock.now() + timedelta(days=2),
            justification="Awaiting a foreign enquiry.",
            clock=ops.clock,
        )
    for _ in range(10):
        await use_cases.run_deadline_clocks(ops.database, tenant=tenant, clock=ops.clock)
        ops.clock.advance(timedelta(days=1))
    raised = await ops.outbox_types()
    assert raised.count(DeadlineBreachedV1.TYPE) == 3  # the moved clock, once more


async def test_an_escalation_shows_on_the_board_at_once(ops: Ops, tenant: str) -> None:
    await ops.feed(open_cases(tenant, now=START, first_number=1))
    async with ops.database.transaction(tenant) as tx:
        board = await views.board(tx, now=START)
    (shown,) = board.escalations
    assert shown.risk == "immediate"
    assert shown.case_reference.endswith("000003")
    # Past due with no breach raised yet, and 22 hours into 24: both at risk.
    assert [(view.case_reference[-1], view.deadline) for view in board.at_risk] == [
        ("1", "risk-assessment"),
        ("2", "stage-one"),
    ]
    assert board.stages == {"initial-contact": 2, "face-to-face": 1}


async def test_events_merged_in_one_batch_give_the_model_applied_one_at_a_time(
    ops: Ops, tenant: str, settings_for: Callable[..., Settings]
) -> None:
    """The rebuild writes thousands of events per statement; the live service one at a time.
    The same events, shuffled and some twice, must give the same rows either way."""
    events = [
        event
        for number in (1, 2, 3, 4)
        for event in case_study(tenant, number, start=START, case_number=number)
    ]
    await ops.feed(events)
    records = [as_record(event, offset) for offset, event in enumerate(events)]
    shuffled = random.Random(7).sample(records, len(records)) + records[:5]
    rebuilt = await open_schema(settings_for(tenant), "ops_rebuild")
    try:
        report = Rebuilt(tenant, "ops_rebuild")
        for first in range(0, len(shuffled), 17):  # batches that split cases across them
            await apply_records(rebuilt, tenant, shuffled[first : first + 17], report)
        assert (report.applied, report.duplicates, report.rejected) == (len(events), 5, {})
        for table in store.TABLES:
            async with ops.database.transaction(tenant) as tx:
                live = await store.rows(tx, table=table)
            async with rebuilt.transaction(tenant) as tx:
                merged = await store.rows(tx, table=table)
            assert merged == live, table
        async with ops.database.transaction(tenant) as tx:
            assert len(await store.rows(tx, table="cases")) == 4
    finally:
        await rebuilt.pool.close()
