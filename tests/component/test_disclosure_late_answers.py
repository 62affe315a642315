"""A system's late answer joins the disclosure record's findings, and the presumption (2.4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from schemas.checks import (
    CheckAnsweredLateV1,
    CheckResult,
    ChecksCompletedV1,
    Concern,
    Finding,
    MatchOutcome,
    OffenceCategory,
    RecordKind,
    System,
)
from schemas.examples import example_payload
from schemas.multiagency import ForumDecidedV1
from schemas.stages import Stage
from services.catalogue import definition
from services.disclosure import use_cases
from services.disclosure.store import CaseRow
from services.runtime.consumer import Processor, Record, Verdict
from tests.component.conftest import Component
from tests.support.records import stream_record

Build = Callable[..., Awaitable[Component]]

CONVICTION = Finding(
    kind=RecordKind.CONVICTION,
    category=OffenceCategory.CHILD_SEXUAL,
    schedule_34a=True,
    summary="Sexual assault of a child under 13, 2009.",
    record_reference="PNC/09/1",
)


async def feed(built: Component, tenant: str, incoming: Record) -> Verdict:
    """Hand a record to the disclosure processor of its topic."""
    wiring = definition("disclosure").wire(tenant, built.clock)
    subscription = next(s for s in wiring.subscriptions if s.topic == incoming.topic)
    processor = Processor(
        service="disclosure",
        tenant=tenant,
        database=built.database,
        routes=subscription.routes,
        ignored=subscription.ignored,
        clock=built.clock,
        backoff_seconds=0,
    )
    return await processor.process(incoming)


def late_pnc(built: Component, tenant: str, case: str, *findings: Finding) -> Record:
    """PNC's answer on the subject, after stage 4's checks completed without it."""
    now = built.clock.now()
    late = CheckAnsweredLateV1(
        case_reference=case,
        stage=Stage.FULL_RISK_ASSESSMENT,
        result=CheckResult(
            system=System.PNC,
            party="subject",
            outcome=MatchOutcome.MATCH if findings else MatchOutcome.NO_TRACE,
            confidence=0.97 if findings else 0.0,
            findings=findings,
        ),
        answered_at=now,
        completed_at=now - timedelta(hours=4),
        concerns=(Concern.CHILD_SEXUAL_CONVICTION,) if findings else (),
    )
    return stream_record(tenant, "checks", "check-answered-late", late, case)


async def record_of(built: Component, tenant: str, case: str) -> CaseRow:
    async with built.database.transaction(tenant) as tx:
        return await use_cases.read_case(tx, case_reference=case)


async def awaiting_decision(built: Component, tenant: str) -> str:
    """A case the forum sent with 'concerns' and a recommendation, PNC having been silent."""
    case = f"{tenant}-2026-000001"
    checks = ChecksCompletedV1(
        case_reference=case,
        stage=Stage.FULL_RISK_ASSESSMENT,
        completed_at=built.clock.now(),
        results=(
            CheckResult(
                system=System.PNC, party="subject", outcome=MatchOutcome.UNAVAILABLE, confidence=0
            ),
        ),
        partial=True,
    )
    forum = ForumDecidedV1.model_validate(
        {
            **example_payload(ForumDecidedV1),
            "case_reference": case,
            "route": "concerns",
            "recommend_disclosure": True,
        }
    )
    for incoming in (
        stream_record(tenant, "checks", "checks-completed", checks, case),
        stream_record(tenant, "multiagency", "forum-decided", forum, case),
    ):
        assert await feed(built, tenant, incoming) is Verdict.APPLIED
    return case


async def test_a_late_schedule_34a_conviction_joins_the_findings_and_the_presumption_follows(
    component: Build, tenant: str
) -> None:
    built = await component("disclosure", tenant)
    case = await awaiting_decision(built, tenant)
    before = await record_of(built, tenant, case)
    assert before.findings == []
    assert not use_cases.presumption(before)  # PNC was silent: nothing to presume on

    built.clock.advance(timedelta(hours=4))
    verdict = await feed(built, tenant, late_pnc(built, tenant, case, CONVICTION))

    assert verdict is Verdict.APPLIED
    after = await record_of(built, tenant, case)
    assert [Finding.model_validate(f) for f in after.findings] == [CONVICTION]
    assert use_cases.presumption(after)  # 2.2, 2.4: convicted of a child sexual offence
    assert after.status == before.status  # a finding, not a decision


async def test_a_late_answer_for_a_case_disclosure_does_not_hold_yet_opens_its_record(
    component: Build, tenant: str
) -> None:
    built = await component("disclosure", tenant)
    case = f"{tenant}-2026-000002"
    assert await feed(built, tenant, late_pnc(built, tenant, case, CONVICTION)) is Verdict.APPLIED

    held = await record_of(built, tenant, case)
    assert held.status == "awaiting-forum"
    assert held.correlation_id is not None
    assert [Finding.model_validate(f) for f in held.findings] == [CONVICTION]


async def test_the_same_late_answer_twice_adds_its_findings_once(
    component: Build, tenant: str
) -> None:
    built = await component("disclosure", tenant)
    case = await awaiting_decision(built, tenant)
    incoming = late_pnc(built, tenant, case, CONVICTION)

    assert await feed(built, tenant, incoming) is Verdict.APPLIED
    assert await feed(built, tenant, incoming) is Verdict.DUPLICATE

    assert len((await record_of(built, tenant, case)).findings) == 1


async def test_a_late_no_trace_adds_nothing_to_the_findings(component: Build, tenant: str) -> None:
    built = await component("disclosure", tenant)
    case = await awaiting_decision(built, tenant)
    assert await feed(built, tenant, late_pnc(built, tenant, case)) is Verdict.APPLIED
    after = await record_of(built, tenant, case)
    assert after.findings == []
    assert not use_cases.presumption(after)
