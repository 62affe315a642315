"""A force's full risk assessment on a real PostgreSQL: consultations, their deadlines, audit."""

from __future__ import annotations

from datetime import timedelta

from schemas import topics
from schemas.checks import (
    CheckResult,
    ChecksCompletedV1,
    Finding,
    MatchOutcome,
    RecordKind,
    RequestChecksV1,
    System,
)
from schemas.multiagency import (
    AgencyKind,
    ConcernCategory,
    ConsultationOutcome,
    ConsultationOverdueV1,
    ConsultationRequestedV1,
    DecisionRoute,
    Forum,
    ForumDecidedV1,
    ForumScheduledV1,
    LawfulBasis,
    RemindConsultationV1,
    RequestConsultationV1,
    RiskAssessmentCompletedV1,
)
from schemas.stages import Stage
from services.multiagency.areas import Directory
from services.runtime.audit import Action, broken_links, entries
from tests.component.test_multiagency_harness import (
    Exchange,
    answer,
    application,
    area,
    checks,
    enquiry,
    exchange,
    finding,
)

__all__ = ["exchange"]  # the harness's fixture, used by name


def case_of(tenant: str) -> str:
    return f"{tenant}-2026-000001"


async def open_case(
    exchange: Exchange, tenant: str, *, consent: bool = True, grooming: bool = False
) -> str:
    """A force's case with its enquiry and application; stage 4 checks asked."""
    exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    case = case_of(tenant)
    first = enquiry(case, exchange.clock, consent=consent)
    await exchange.send(
        topics.stream(tenant, "intake", "enquiry-registered"),
        first,
        sender=tenant,
        service="intake",
        subject=case,
    )
    await exchange.send(
        topics.stream(tenant, "intake", "application-submitted"),
        application(case, exchange.clock, grooming=grooming),
        sender=tenant,
        service="intake",
        subject=case,
    )
    return case


def nothing(system: System, outcome: MatchOutcome = MatchOutcome.NO_TRACE) -> CheckResult:
    """A system's answer about the subject with no records in it."""
    return CheckResult(system=system, party="subject", outcome=outcome, confidence=0.0)


def initial_checks(case: str, exchange: Exchange, *results: CheckResult) -> ChecksCompletedV1:
    """The walking skeleton's stage 1 checks, the last to complete."""
    return ChecksCompletedV1(
        case_reference=case,
        stage=Stage.INITIAL_CONTACT,
        completed_at=exchange.clock.now(),
        results=results,
    )


async def complete_checks(exchange: Exchange, tenant: str, case: str, *found: Finding) -> None:
    await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        checks(case, exchange.clock, *found),
        sender=tenant,
        service="checks",
        subject=case,
    )


async def test_a_case_with_no_application_and_nothing_found_is_decided_no_concerns_at_once(
    exchange: Exchange, tenant: str
) -> None:
    # The walking skeleton: the initial checks are the last to complete and find nothing, and
    # no person is in the loop (the risk assessment's sign-off waits in a force: see below).
    exchange.add_force(
        tenant,
        Directory((area(tenant, "QA"),)),
        await_application=False,
        officer_signs_off=False,
    )
    case = case_of(tenant)
    completed = initial_checks(
        case,
        exchange,
        nothing(System.PNC),
        nothing(System.VISOR, MatchOutcome.NOT_REQUIRED),  # 5.1.9: no ViSOR marker on PNC
        nothing(System.LOCAL_INTELLIGENCE),
    )
    _, cause = await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        completed,
        sender=tenant,
        service="checks",
        subject=case,
    )

    [decided] = exchange.sent_of_type(ForumDecidedV1)
    assert decided.envelope.causation_id == cause.id
    assert decided.envelope.correlation_id == cause.correlation_id
    conclusion = decided.decode(ForumDecidedV1)
    assert conclusion.route is DecisionRoute.NO_CONCERNS
    assert not conclusion.recommend_disclosure
    # 5.6.3, 6.2: no forum met, and the record says so rather than name a meeting.
    assert not conclusion.forum_met
    assert conclusion.attendance == ()
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.categories == ()
    assert exchange.of_type(RequestConsultationV1) == []


async def test_a_case_whose_subject_checks_were_incomplete_goes_to_a_forum_not_no_concerns(
    exchange: Exchange, tenant: str
) -> None:
    # 5.4.4, 5.5.5: PNC did not answer in time; no information is not no risk (5.6.6).
    exchange.add_force(tenant, Directory((area(tenant, "QA"),)), await_application=False)
    case = case_of(tenant)
    silent = nothing(System.PNC, MatchOutcome.UNAVAILABLE)
    await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        initial_checks(case, exchange, silent, nothing(System.LOCAL_INTELLIGENCE)),
        sender=tenant,
        service="checks",
        subject=case,
    )

    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.route is DecisionRoute.NO_CONCERNS
    assert "no answer from pnc" in assessment.rationale
    assert "5.4.4" in assessment.rationale
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.case_reference == case
    assert exchange.of_type(ForumDecidedV1) == []  # a person decides, not the service


async def test_the_application_asks_for_the_checks_of_stage_4(
    exchange: Exchange, tenant: str
) -> None:
    case = await open_case(exchange, tenant)
    [request] = exchange.of_type(
        RequestChecksV1, topic=topics.stream(tenant, "multiagency", "request-checks")
    )
    assert request.stage is Stage.FULL_RISK_ASSESSMENT
    assert set(request.parties) == {"subject", "applicant", "child-1"}
    # The initial checks completing now do not start the assessment: stage 4's are awaited.
    await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        checks(case, exchange.clock, stage=Stage.INITIAL_CONTACT),
        sender=tenant,
        service="checks",
        subject=case,
    )
    assert exchange.of_type(RiskAssessmentCompletedV1) == []


async def test_agencies_are_consulted_with_consent_and_audited(
    exchange: Exchange, tenant: str
) -> None:
    case = await open_case(exchange, tenant, consent=True)
    await complete_checks(exchange, tenant, case, finding(RecordKind.CONVICTION))

    requests = {r.agency_kind: r for r in exchange.of_type(RequestConsultationV1)}
    assert set(requests) == {AgencyKind.CHILDRENS_SOCIAL_CARE, AgencyKind.PROBATION}
    csc, probation = requests[AgencyKind.CHILDRENS_SOCIAL_CARE], requests[AgencyKind.PROBATION]
    assert csc.lawful_basis is LawfulBasis.CONSENT
    assert [child.party for child in csc.children] == ["child-1"]
    assert probation.children == ()  # probation is asked about the subject only
    inboxes = {sent.topic for sent in exchange.sent_of_type(RequestConsultationV1)}
    assert inboxes == {
        topics.inbox(f"csc-{tenant}", tenant),
        topics.inbox(f"probation-{tenant}", tenant),
    }
    assert len(exchange.of_type(ConsultationRequestedV1)) == 2
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    assert {(e.action, e.recipients) for e in chain} == {
        (Action.CONSULTATION, (f"csc-{tenant}",)),
        (Action.CONSULTATION, (f"probation-{tenant}",)),
    }
    assert broken_links(chain) == []

    await exchange.send(
        topics.inbox(tenant, f"csc-{tenant}"),
        answer(csc, f"csc-{tenant}", exchange.clock),
        sender=f"csc-{tenant}",
        service="childrens_social_care",
        subject=case,
    )
    assert exchange.of_type(RiskAssessmentCompletedV1) == []  # probation still to answer
    await exchange.send(
        topics.inbox(tenant, f"probation-{tenant}"),
        answer(
            probation,
            f"probation-{tenant}",
            exchange.clock,
            outcome=ConsultationOutcome.INFORMATION_SHARED,
            supervised_by_probation=True,
            mappa_level=2,
        ),
        sender=f"probation-{tenant}",
        service="probation",
        subject=case,
    )

    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.route is DecisionRoute.CONCERNS
    assert ConcernCategory.CHILD_SEXUAL_OFFENCE_CONVICTION in assessment.categories
    assert assessment.subject_meets_mappa_criteria
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.forum is Forum.MAPPA_MEETING
    assert scheduled.scheduled_for <= exchange.clock.now() + timedelta(days=28)  # 5.6.27
    assert f"probation-{tenant}" in scheduled.invited
    assert exchange.of_type(ForumDecidedV1) == []  # a person records the forum's decision


async def test_csc_consulted_without_consent_records_the_necessity(
    exchange: Exchange, tenant: str
) -> None:
    case = await open_case(exchange, tenant, consent=False)
    await complete_checks(exchange, tenant, case, finding(RecordKind.CONVICTION))

    csc = next(
        r
        for r in exchange.of_type(RequestConsultationV1)
        if r.agency_kind is AgencyKind.CHILDRENS_SOCIAL_CARE
    )
    assert csc.lawful_basis is LawfulBasis.NECESSITY
    assert csc.necessity_reason is not None
    assert "5.4.5" in csc.necessity_reason
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
        stored = await tx.conn.fetchval(
            "SELECT necessity_reason FROM consultations WHERE agency = $1", f"csc-{tenant}"
        )
    assert stored == csc.necessity_reason
    assert csc.necessity_reason in {entry.reason for entry in chain}


async def test_without_consent_or_necessity_children_s_social_care_is_not_told(
    exchange: Exchange, tenant: str
) -> None:
    case = await open_case(exchange, tenant, consent=False)
    await complete_checks(exchange, tenant, case)

    assert exchange.of_type(RequestConsultationV1) == []
    [decided] = exchange.of_type(ForumDecidedV1)
    assert decided.route is DecisionRoute.NO_CONCERNS


async def test_a_silent_agency_is_reminded_then_overdue_and_the_case_goes_on(
    exchange: Exchange, tenant: str
) -> None:
    case = await open_case(exchange, tenant, consent=True)
    await complete_checks(exchange, tenant, case)
    [csc] = exchange.of_type(RequestConsultationV1)
    assert await exchange.sweep(tenant) == 0

    exchange.clock.advance(timedelta(days=1, hours=12, minutes=1))  # halfway through 3 days
    assert await exchange.sweep(tenant) == 1
    [reminder] = exchange.of_type(RemindConsultationV1)
    assert reminder.consultation_id == csc.consultation_id
    [sent] = exchange.sent_of_type(RemindConsultationV1)
    assert sent.topic == topics.inbox(f"csc-{tenant}", tenant)
    assert await exchange.sweep(tenant) == 0  # reminded once

    exchange.clock.advance(timedelta(days=2))
    assert await exchange.sweep(tenant) == 1
    [overdue] = exchange.of_type(ConsultationOverdueV1)
    assert overdue.agency == f"csc-{tenant}"
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.agencies_not_answered == (f"csc-{tenant}",)
    assert "No answer by the time asked" in assessment.rationale
    # Nothing found, but an agency did not answer: people decide, at a forum.
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.forum is Forum.STRATEGY_DISCUSSION
    assert exchange.of_type(ForumDecidedV1) == []


async def test_an_agency_that_declines_to_share_is_recorded_as_such(
    exchange: Exchange, tenant: str
) -> None:
    case = await open_case(exchange, tenant, consent=True)
    await complete_checks(exchange, tenant, case)
    [csc] = exchange.of_type(RequestConsultationV1)
    await exchange.send(
        topics.inbox(tenant, f"csc-{tenant}"),
        answer(csc, f"csc-{tenant}", exchange.clock, outcome=ConsultationOutcome.DECLINED_TO_SHARE),
        sender=f"csc-{tenant}",
        service="childrens_social_care",
        subject=case,
    )
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.agencies_declined == (f"csc-{tenant}",)
    async with exchange.database.transaction(tenant) as tx:
        outcome = await tx.conn.fetchval("SELECT outcome FROM consultations")
    assert outcome == "declined-to-share"


async def test_a_child_protection_plan_takes_the_case_to_a_case_conference(
    exchange: Exchange, tenant: str
) -> None:
    case = await open_case(exchange, tenant, consent=True)
    await complete_checks(exchange, tenant, case)
    [csc] = exchange.of_type(RequestConsultationV1)
    await exchange.send(
        topics.inbox(tenant, f"csc-{tenant}"),
        answer(
            csc,
            f"csc-{tenant}",
            exchange.clock,
            outcome=ConsultationOutcome.INFORMATION_SHARED,
            child_protection_plan=True,
            information="Child on a plan since 2025.",
        ),
        sender=f"csc-{tenant}",
        service="childrens_social_care",
        subject=case,
    )
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.categories == (ConcernCategory.RELEVANT_INTELLIGENCE,)
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.forum is Forum.CASE_CONFERENCE
