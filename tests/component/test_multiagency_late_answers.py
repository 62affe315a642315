"""A system's late answer reaches the force's risk assessment and forum (5.4.4, 5.6.12)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from schemas import topics
from schemas.checks import (
    CheckAnsweredLateV1,
    CheckResult,
    ChecksCompletedV1,
    Concern,
    MatchOutcome,
    System,
)
from schemas.envelope import Envelope
from schemas.multiagency import (
    AgencyKind,
    Attendee,
    ConcernCategory,
    DecisionRoute,
    ForumDecidedV1,
    ForumScheduledV1,
    LawfulBasis,
    RequestConsultationV1,
    RiskAssessmentCompletedV1,
)
from schemas.stages import Stage
from services.multiagency import domain, use_cases
from services.multiagency.api import create_app
from services.multiagency.domain import LateEffect
from services.multiagency.store import CaseState
from services.runtime.audit import Action, broken_links, entries
from services.runtime.consumer import Verdict
from services.runtime.service import HttpContext
from tests.component.test_multiagency_consultations import nothing, open_case
from tests.component.test_multiagency_harness import Exchange, answer, exchange, finding, rows
from tests.support.staff import headers, issuer

__all__ = ["exchange"]  # the harness's fixture, used by name

FRA = Stage.FULL_RISK_ASSESSMENT


def stage4_checks(exchange: Exchange, case: str, *, pnc: MatchOutcome) -> ChecksCompletedV1:
    """Stage 4's checks of the subject: PNC as given, the others with no trace."""
    return ChecksCompletedV1(
        case_reference=case,
        stage=FRA,
        completed_at=exchange.clock.now(),
        results=(
            nothing(System.PNC, pnc),
            nothing(System.VISOR, MatchOutcome.NOT_REQUIRED),
            nothing(System.LOCAL_INTELLIGENCE),
            nothing(System.INI),
        ),
        partial=pnc is MatchOutcome.UNAVAILABLE,
    )


def late_pnc(exchange: Exchange, case: str, *, conviction: bool) -> CheckAnsweredLateV1:
    """PNC's answer about the subject, hours after stage 4's checks completed without it."""
    found = (finding(),) if conviction else ()
    return CheckAnsweredLateV1(
        case_reference=case,
        stage=FRA,
        result=CheckResult(
            system=System.PNC,
            party="subject",
            outcome=MatchOutcome.MATCH if conviction else MatchOutcome.NO_TRACE,
            confidence=0.97 if conviction else 0.0,
            findings=found,
        ),
        answered_at=exchange.clock.now(),
        completed_at=exchange.clock.now() - timedelta(hours=4),
        concerns=(Concern.CHILD_SEXUAL_CONVICTION,) if conviction else (),
    )


async def send_checks(exchange: Exchange, tenant: str, message: ChecksCompletedV1) -> None:
    await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        message,
        sender=tenant,
        service="checks",
        subject=message.case_reference,
    )


async def send_late(
    exchange: Exchange, tenant: str, message: CheckAnsweredLateV1
) -> tuple[Verdict, Envelope]:
    return await exchange.send(
        topics.stream(tenant, "checks", "check-answered-late"),
        message,
        sender=tenant,
        service="checks",
        subject=message.case_reference,
    )


async def awaiting_forum(exchange: Exchange, tenant: str) -> str:
    """A case whose PNC check was silent: nothing found, so it waits for a forum (5.4.4)."""
    case = await open_case(exchange, tenant, consent=False)  # no consent, nothing found: no CSC
    await send_checks(exchange, tenant, stage4_checks(exchange, case, pnc=MatchOutcome.UNAVAILABLE))
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.route is DecisionRoute.NO_CONCERNS
    assert "no answer from pnc" in assessment.rationale
    assert len(exchange.of_type(ForumScheduledV1)) == 1
    return case


async def forum_finds_no_concerns(exchange: Exchange, tenant: str, case: str) -> None:
    """The convened forum meets, with children's social care, and finds no concerns."""
    conclusion = domain.Conclusion(
        route=DecisionRoute.NO_CONCERNS,
        recommend_disclosure=False,
        rationale="Nothing known to any agency present.",
        attendance=(
            Attendee(agency=tenant, role="public protection officer"),
            Attendee(agency=f"csc-{tenant}", role="social worker"),
        ),
    )
    async with exchange.database.transaction(tenant) as tx:
        await use_cases.record_forum_decision(
            tx, case_reference=case, conclusion=conclusion, clock=exchange.clock
        )
    await exchange.pump()


async def view(exchange: Exchange, tenant: str, case: str) -> use_cases.CaseView:
    async with exchange.database.transaction(tenant) as tx:
        return await use_cases.view_case(tx, case_reference=case)


async def test_a_late_conviction_reaches_the_forum_awaited_and_it_weighs_concerns(
    exchange: Exchange, tenant: str
) -> None:
    case = await awaiting_forum(exchange, tenant)
    published = len(exchange.published)

    exchange.clock.advance(timedelta(hours=4))
    verdict, _ = await send_late(exchange, tenant, late_pnc(exchange, case, conviction=True))

    assert verdict is Verdict.APPLIED
    shown = await view(exchange, tenant, case)
    assert shown.case.state == CaseState.FORUM_SCHEDULED  # the forum still decides (5.6.12)
    [kept] = shown.late_answers
    assert kept.effect is LateEffect.REVISES_ASSESSMENT
    assert kept.answer.result.system is System.PNC
    assert kept.answer.concerns == (Concern.CHILD_SEXUAL_CONVICTION,)
    assessment = shown.assessment
    assert assessment is not None
    assert assessment["route"] == DecisionRoute.CONCERNS.value  # 5.5.3 (i)
    assert assessment["categories"] == [ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION.value]
    assert assessment["revised_at"] == exchange.clock.now()
    assert "no answer from pnc" not in assessment["rationale"]
    assert "pnc on the subject at full-risk-assessment (match)" in assessment["rationale"]
    assert len(exchange.published) == published  # nothing decided, nothing handed on
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    [revised] = [entry for entry in chain if entry.action is Action.ALTERATION]
    assert "5.6.12" in revised.reason
    assert broken_links(chain) == []
    assert await rows(exchange, f"{tenant}x", "late_answers") == []  # another force sees none


async def test_a_late_answer_that_overtakes_its_checks_is_weighed_by_the_assessment(
    exchange: Exchange, tenant: str
) -> None:
    # The late answer and the checks travel on different topics: either may come first.
    case = await open_case(exchange, tenant, consent=False)
    await send_late(exchange, tenant, late_pnc(exchange, case, conviction=True))
    [kept] = (await view(exchange, tenant, case)).late_answers
    assert kept.effect is LateEffect.AWAITS_ASSESSMENT
    assert exchange.of_type(RiskAssessmentCompletedV1) == []

    await send_checks(exchange, tenant, stage4_checks(exchange, case, pnc=MatchOutcome.UNAVAILABLE))

    # 5.4.5: without consent, the late conviction is what makes consulting necessary.
    requests = exchange.of_type(RequestConsultationV1)
    assert {r.lawful_basis for r in requests} == {LawfulBasis.NECESSITY}
    assert {r.agency_kind for r in requests} == {
        AgencyKind.CHILDRENS_SOCIAL_CARE,
        AgencyKind.PROBATION,
    }
    for sent in exchange.sent_of_type(RequestConsultationV1):
        agency = topics.tenant_of(sent.topic)
        await exchange.send(
            topics.inbox(tenant, agency),
            answer(sent.decode(RequestConsultationV1), agency, exchange.clock),
            sender=agency,
            service="agency",
            subject=case,
        )
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.route is DecisionRoute.CONCERNS
    assert assessment.categories == (ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION,)
    assert "Answered after the checks were completed" in assessment.rationale


async def test_a_late_answer_after_the_forum_decided_is_kept_and_changes_nothing_decided(
    exchange: Exchange, tenant: str
) -> None:
    case = await awaiting_forum(exchange, tenant)
    await forum_finds_no_concerns(exchange, tenant, case)
    [decided] = exchange.of_type(ForumDecidedV1)
    before = await view(exchange, tenant, case)
    published = len(exchange.published)

    exchange.clock.advance(timedelta(days=1))
    verdict, _ = await send_late(exchange, tenant, late_pnc(exchange, case, conviction=True))

    assert verdict is Verdict.APPLIED
    after = await view(exchange, tenant, case)
    [kept] = after.late_answers
    assert kept.effect is LateEffect.AFTER_DECISION
    assert kept.recorded_at == exchange.clock.now()
    assert after.case.state == CaseState.DECIDED
    assert after.assessment == before.assessment  # route 'no concerns', never revised
    assert after.forum == before.forum
    assert decided.route is DecisionRoute.NO_CONCERNS
    assert len(exchange.published) == published
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    [joined] = [entry for entry in chain if entry.action is Action.COMBINATION]
    assert "after the forum decided" in joined.reason
    assert "6.2" in joined.reason
    assert not [entry for entry in chain if entry.action is Action.ALTERATION]


async def test_the_same_late_answer_twice_has_one_effect(exchange: Exchange, tenant: str) -> None:
    case = await awaiting_forum(exchange, tenant)
    message = late_pnc(exchange, case, conviction=True)
    _, envelope = await send_late(exchange, tenant, message)
    topic = topics.stream(tenant, "checks", "check-answered-late")

    # Redelivered by the broker: the inbox has seen it.
    again = await exchange.deliver(topic, message.to_json(), envelope)
    # Reported again under a new id: the case keeps one answer per system, party and stage.
    verdict, _ = await send_late(exchange, tenant, message)

    assert again is Verdict.DUPLICATE
    assert verdict is Verdict.APPLIED
    assert len(await rows(exchange, tenant, "late_answers")) == 1
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    assert len([entry for entry in chain if entry.action is Action.ALTERATION]) == 1


async def test_a_late_no_trace_closes_the_gap_but_the_forum_convened_still_decides(
    exchange: Exchange, tenant: str
) -> None:
    case = await awaiting_forum(exchange, tenant)
    await send_late(exchange, tenant, late_pnc(exchange, case, conviction=False))

    shown = await view(exchange, tenant, case)
    assert shown.assessment is not None
    assert shown.assessment["route"] == DecisionRoute.NO_CONCERNS.value
    assert "incomplete" not in shown.assessment["rationale"]
    assert shown.case.state == CaseState.FORUM_SCHEDULED
    assert exchange.of_type(ForumDecidedV1) == []


async def test_staff_see_a_late_answer_and_the_revised_assessment_on_the_case(
    exchange: Exchange, tenant: str
) -> None:
    case = await awaiting_forum(exchange, tenant)
    exchange.clock.advance(timedelta(hours=4))
    await send_late(exchange, tenant, late_pnc(exchange, case, conviction=True))
    http = HttpContext(tenant, exchange.database, exchange.clock, issuer(tenant))
    app = create_app(http, exchange.forces[tenant].context)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://staff", headers=headers(tenant)
    ) as client:
        shown = (await client.get(f"/cases/{case}")).json()
    [late] = shown["late_answers"]
    seen = (late["system"], late["outcome"], late["effect"])
    assert seen == ("pnc", "match", "revises-assessment")
    assert late["concerns"] == [Concern.CHILD_SEXUAL_CONVICTION.value]
    assert shown["route"] == "concerns"
    assert shown["assessment_revised_at"] is not None
