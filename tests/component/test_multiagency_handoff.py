"""Cross-force handoff on a real PostgreSQL: two forces, each sees only its own part (4.10)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from schemas import topics
from schemas.checks import Finding, RecordKind, RequestChecksV1, System
from schemas.disclosure import CaseClosedV1, CaseOutcomeV1, HandoffCaseClosedV1, Outcome
from schemas.examples import example_payload
from schemas.intake import ApplicationSubmittedV1
from schemas.multiagency import (
    AgencyKind,
    AgencyPosition,
    Attendee,
    ConsultationOutcome,
    DecisionRoute,
    Forum,
    ForumDecidedV1,
    ForumScheduledV1,
    HandoffAcceptedV1,
    HandoffAction,
    HandoffDeclinedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
    Position,
    RequestConsultationV1,
    RiskAssessmentCompletedV1,
)
from services.multiagency import domain, use_cases
from services.multiagency.api import create_app
from services.multiagency.areas import Directory
from services.runtime.audit import Action, entries
from services.runtime.consumer import Verdict
from services.runtime.service import HttpContext
from tests.component.test_multiagency_harness import (
    CONTACT,
    Exchange,
    answer,
    application,
    area,
    checks,
    enquiry,
    exchange,
    finding,
    rows,
    with_a_child_elsewhere,
)
from tests.support.staff import headers, issuer

__all__ = ["exchange"]  # the harness's fixture, used by name
TABLES = ["cases", "consultations", "handoffs", "forums", "assessments", "outbox", "audit_log"]


@dataclass
class Pair:
    """An owning force, a responding force, and the owning force's case."""

    owning: str
    responding: str
    case: str


async def hand_off(
    exchange: Exchange,
    tenant: str,
    *,
    responding_knows_area: bool = True,
    submitted: ApplicationSubmittedV1 | None = None,
    findings: tuple[Finding, ...] = (),
) -> Pair:
    """By default the subject lives in the responding force's area, the child with the
    applicant in the owning force's."""
    owning, responding = tenant, f"{tenant}r"
    both = Directory((area(owning, "QA"), area(responding, "QB")))
    exchange.add_force(owning, both)
    exchange.add_force(
        responding, both if responding_knows_area else Directory((area(owning, "QA"),))
    )
    case = f"{owning}-2026-000001"
    for stream, message in (
        ("enquiry-registered", enquiry(case, exchange.clock)),
        (
            "application-submitted",
            submitted or application(case, exchange.clock, postcode="QB9 9ZZ"),
        ),
    ):
        await exchange.send(
            topics.stream(owning, "intake", stream),
            message,
            sender=owning,
            service="intake",
            subject=case,
        )
    await exchange.send(
        topics.stream(owning, "checks", "checks-completed"),
        checks(case, exchange.clock, *findings),
        sender=owning,
        service="checks",
        subject=case,
    )
    return Pair(owning, responding, case)


async def answer_all(exchange: Exchange, force: str, outcome: ConsultationOutcome) -> None:
    """Every agency `force` consulted answers."""
    for sent in exchange.sent_of_type(RequestConsultationV1):
        request = sent.decode(RequestConsultationV1)
        if request.asking_force != force:
            continue
        agency = topics.tenant_of(sent.topic)
        await exchange.send(
            topics.inbox(request.asking_force, agency),
            answer(request, agency, exchange.clock, outcome=outcome),
            sender=agency,
            service="agency",
            subject=request.case_reference,
        )


async def test_the_responding_force_takes_the_subject_and_returns_its_findings(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off(exchange, tenant)

    # The owning force asks the force where the subject lives; only the subject travels.
    [request] = exchange.of_type(
        HandoffRequestedV1, topic=topics.inbox(pair.responding, pair.owning)
    )
    assert request.owning_force == pair.owning
    assert request.party == "subject"
    assert request.owning_case_reference == pair.case
    # The responding force accepts under a linked case of its own and asks its local checks.
    [accepted] = exchange.of_type(
        HandoffAcceptedV1, topic=topics.inbox(pair.owning, pair.responding)
    )
    local = accepted.responding_case_reference
    assert local.startswith(f"{pair.responding}-ho-")
    [checks_asked] = exchange.of_type(
        RequestChecksV1, topic=topics.stream(pair.responding, "multiagency", "request-checks")
    )
    assert checks_asked.case_reference == local
    assert checks_asked.systems == (System.LOCAL_INTELLIGENCE,)
    # The owning force consulted its children's social care, but not probation (4.10).
    [csc] = exchange.of_type(RequestConsultationV1)
    assert csc.agency_kind is AgencyKind.CHILDRENS_SOCIAL_CARE
    assert exchange.of_type(RiskAssessmentCompletedV1) == []

    # The responding force's local checks find the subject registered: it consults its probation.
    registered = finding(RecordKind.REGISTRATION)
    await exchange.send(
        topics.stream(pair.responding, "checks", "checks-completed"),
        checks(local, exchange.clock, registered, system=System.LOCAL_INTELLIGENCE),
        sender=pair.responding,
        service="checks",
        subject=local,
    )
    probation = next(
        s
        for s in exchange.sent_of_type(RequestConsultationV1)
        if s.topic == topics.inbox(f"probation-{pair.responding}", pair.responding)
    ).decode(RequestConsultationV1)
    assert probation.asking_force == pair.responding
    await exchange.send(
        topics.inbox(pair.responding, f"probation-{pair.responding}"),
        answer(
            probation,
            f"probation-{pair.responding}",
            exchange.clock,
            outcome=ConsultationOutcome.INFORMATION_SHARED,
            mappa_level=2,
            supervised_by_probation=True,
        ),
        sender=f"probation-{pair.responding}",
        service="probation",
        subject=local,
    )
    [scheduled] = exchange.of_type(
        ForumScheduledV1, topic=topics.stream(pair.responding, "multiagency", "forum-scheduled")
    )
    assert scheduled.forum is Forum.MAPPA_MEETING
    assert scheduled.scheduled_for <= request.respond_by

    # The responding force's MAPPA meeting decides; its conclusion goes back to the owner.
    conclusion = domain.Conclusion(
        route=DecisionRoute.CONCERNS,
        recommend_disclosure=True,
        rationale="Registered; MAPPA level 2; access to the child.",
        inform_subject=False,
        community_risk_assessment="Low risk to him at home; offender manager told.",
        attendance=(
            Attendee(agency=pair.responding, role="detective sergeant"),
            Attendee(agency=f"probation-{pair.responding}", role="offender manager"),
        ),
        positions=(
            AgencyPosition(agency=f"probation-{pair.responding}", position=Position.DISCLOSE),
        ),
        information_shared="Registration and licence conditions.",
    )
    async with exchange.database.transaction(pair.responding) as tx:
        await use_cases.record_forum_decision(
            tx, case_reference=local, conclusion=conclusion, clock=exchange.clock
        )
    await exchange.pump()
    [returned] = exchange.of_type(
        HandoffReturnedV1, topic=topics.inbox(pair.owning, pair.responding)
    )
    assert returned.responding_case_reference == local
    assert returned.forum is Forum.MAPPA_MEETING
    assert [f.kind for f in returned.findings] == [RecordKind.REGISTRATION]
    assert exchange.of_type(ForumDecidedV1) == []  # the owning force still waits for its CSC

    await answer_all(exchange, pair.owning, ConsultationOutcome.NOTHING_KNOWN)
    [decided] = exchange.of_type(
        ForumDecidedV1, topic=topics.stream(pair.owning, "multiagency", "forum-decided")
    )
    assert decided.decided_by_force == pair.responding
    assert decided.forum is Forum.MAPPA_MEETING
    assert decided.route is DecisionRoute.CONCERNS
    assert decided.recommend_disclosure
    # The responding force never decides for the owning force's disclosure service.
    assert (
        exchange.of_type(
            ForumDecidedV1, topic=topics.stream(pair.responding, "multiagency", "forum-decided")
        )
        == []
    )

    # Both forces keep their own, linked, reference; the owning force keeps the deadline.
    [owning_side] = await rows(exchange, pair.owning, "handoffs")
    [responding_side] = await rows(exchange, pair.responding, "handoffs")
    assert owning_side["responding_case_reference"] == local
    assert responding_side["owning_case_reference"] == pair.case
    assert responding_side["closure_due_at"] == owning_side["closure_due_at"]

    # Every handoff and consultation is in each force's audit log, to a named recipient.
    async with exchange.database.transaction(pair.owning) as tx:
        owning_log = await entries(tx.conn, tenant=pair.owning)
    async with exchange.database.transaction(pair.responding) as tx:
        responding_log = await entries(tx.conn, tenant=pair.responding)
    assert (Action.DISCLOSURE, (pair.responding,)) in {(e.action, e.recipients) for e in owning_log}
    assert {(e.action, e.recipients) for e in responding_log} >= {
        (Action.CONSULTATION, (f"probation-{pair.responding}",)),
        (Action.DISCLOSURE, (pair.owning,)),
        (Action.DISCLOSURE, (f"probation-{pair.responding}",)),  # shared at the forum
    }


async def test_each_force_sees_only_its_own_part(exchange: Exchange, tenant: str) -> None:
    pair = await hand_off(exchange, tenant)
    for table in TABLES:
        owning_rows = await rows(exchange, pair.owning, table)
        responding_rows = await rows(exchange, pair.responding, table)
        assert {row["tenant"] for row in owning_rows} <= {pair.owning}, table
        assert {row["tenant"] for row in responding_rows} <= {pair.responding}, table
        if table in ("cases", "handoffs", "outbox"):
            assert owning_rows, table
            assert responding_rows, table
    [responding_case] = await rows(exchange, pair.responding, "cases")
    assert responding_case["case_reference"] != pair.case
    assert responding_case["children"] == "[]"  # the children stay with the owning force


async def test_the_responding_force_never_holds_the_applicants_contact_arrangements(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off(exchange, tenant)
    secrets = [CONTACT.where, CONTACT.when, "Sarah", "Priory Road"]
    for table in TABLES:
        for row in await rows(exchange, pair.responding, table):
            text = repr(row)
            assert not any(secret in text for secret in secrets), table
    to_responding = [
        sent for sent in exchange.published if topics.tenant_of(sent.topic) == pair.responding
    ]
    assert to_responding
    for sent in to_responding:
        assert not any(secret.encode() in sent.payload for secret in secrets), sent.topic


async def test_a_handoff_declined_leaves_the_party_with_the_owning_force(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off(exchange, tenant, responding_knows_area=False)
    [declined] = exchange.of_type(
        HandoffDeclinedV1, topic=topics.inbox(pair.owning, pair.responding)
    )
    assert "4.10" in declined.reason
    assert await rows(exchange, pair.responding, "cases") == []
    await answer_all(exchange, pair.owning, ConsultationOutcome.NOTHING_KNOWN)
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.route is DecisionRoute.NO_CONCERNS
    # The party was never assessed where they live: a forum, not an automatic 'no concerns'.
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.case_reference == pair.case


async def test_nothing_found_where_the_subject_lives_is_returned_without_a_forum(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off(exchange, tenant)
    [accepted] = exchange.of_type(HandoffAcceptedV1)
    local = accepted.responding_case_reference
    await exchange.send(
        topics.stream(pair.responding, "checks", "checks-completed"),
        checks(local, exchange.clock),
        sender=pair.responding,
        service="checks",
        subject=local,
    )
    [returned] = exchange.of_type(HandoffReturnedV1)
    assert returned.route is DecisionRoute.NO_CONCERNS
    assert returned.forum is None
    await answer_all(exchange, pair.owning, ConsultationOutcome.NOTHING_KNOWN)
    [decided] = exchange.of_type(ForumDecidedV1)
    assert decided.route is DecisionRoute.NO_CONCERNS
    assert decided.decided_by_force is None


async def hand_off_a_child(
    exchange: Exchange, tenant: str, *, responding_knows_area: bool = True
) -> Pair:
    """The subject and one child live in the owning force's area, another child elsewhere."""
    return await hand_off(
        exchange,
        tenant,
        responding_knows_area=responding_knows_area,
        submitted=with_a_child_elsewhere(application(f"{tenant}-2026-000001", exchange.clock)),
        findings=(finding(),),
    )


def consulted(exchange: Exchange, agency: str, force: str) -> list[RequestConsultationV1]:
    return [
        sent.decode(RequestConsultationV1)
        for sent in exchange.sent_of_type(RequestConsultationV1)
        if sent.topic == topics.inbox(agency, force)
    ]


async def test_a_child_in_another_forces_area_is_safeguarded_there_with_its_own_csc_4_10_3_5(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off_a_child(exchange, tenant)

    # 4.10: the force where the child lives takes responsibility for the child; the subject,
    # who lives here, stays with the owning force.
    [request] = exchange.of_type(
        HandoffRequestedV1, topic=topics.inbox(pair.responding, pair.owning)
    )
    assert request.party == "child-2"
    assert [child.party for child in request.children] == ["child-2"]
    assert request.actions == (HandoffAction.SAFEGUARDING,)
    # 3.5: each area's own safeguarding procedures: the owning force's children's social care
    # is asked about the child who lives here, and its probation about the subject.
    [own_csc] = consulted(exchange, f"csc-{pair.owning}", pair.owning)
    assert [child.party for child in own_csc.children] == ["child-1"]
    assert consulted(exchange, f"probation-{pair.owning}", pair.owning)

    # The responding force takes the child under a case of its own, runs no checks of the
    # subject, and asks its own children's social care about the child, never its probation.
    [accepted] = exchange.of_type(HandoffAcceptedV1)
    local = accepted.responding_case_reference
    assert (
        exchange.of_type(
            RequestChecksV1, topic=topics.stream(pair.responding, "multiagency", "request-checks")
        )
        == []
    )
    [their_csc] = consulted(exchange, f"csc-{pair.responding}", pair.responding)
    assert their_csc.case_reference == local
    assert [child.party for child in their_csc.children] == ["child-2"]
    assert consulted(exchange, f"probation-{pair.responding}", pair.responding) == []

    # Its children's social care knows the child: on a child protection plan. That goes back
    # to the owning force, without a forum or a risk assessment of the subject there.
    await exchange.send(
        topics.inbox(pair.responding, f"csc-{pair.responding}"),
        answer(
            their_csc,
            f"csc-{pair.responding}",
            exchange.clock,
            outcome=ConsultationOutcome.INFORMATION_SHARED,
            child_protection_plan=True,
        ),
        sender=f"csc-{pair.responding}",
        service="csc",
        subject=local,
    )
    [returned] = exchange.of_type(
        HandoffReturnedV1, topic=topics.inbox(pair.owning, pair.responding)
    )
    assert returned.child_protection_plan is True
    assert returned.forum is None
    assert returned.route is DecisionRoute.CONCERNS  # known to another agency, 5.5.3 (iii)
    assert (
        exchange.of_type(
            ForumScheduledV1, topic=topics.stream(pair.responding, "multiagency", "forum-scheduled")
        )
        == []
    )

    # Staff of the owning force see on the case who went where, and what was asked.
    app = create_app(
        HttpContext(pair.owning, exchange.database, exchange.clock, issuer(pair.owning)),
        exchange.forces[pair.owning].context,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://staff",
        headers=headers(pair.owning),
    ) as staff:
        shown = (await staff.get(f"/cases/{pair.case}")).json()
    [handed] = shown["handoffs"]
    assert (handed["party"], handed["actions"], handed["status"]) == (
        "child-2",
        ["safeguarding"],
        "returned",
    )

    # The owning force's forum weighs it: the child's plan is reviewed in case conference.
    await answer_all(exchange, pair.owning, ConsultationOutcome.NOTHING_KNOWN)
    [scheduled] = exchange.of_type(
        ForumScheduledV1, topic=topics.stream(pair.owning, "multiagency", "forum-scheduled")
    )
    assert scheduled.case_reference == pair.case
    assert scheduled.forum is Forum.CASE_CONFERENCE


async def test_a_child_declined_elsewhere_is_asked_about_here_3_5(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off_a_child(exchange, tenant, responding_knows_area=False)
    [declined] = exchange.of_type(
        HandoffDeclinedV1, topic=topics.inbox(pair.owning, pair.responding)
    )
    assert "4.10" in declined.reason
    # No child of the case goes unconsidered: the owning force's own children's social care
    # is asked about the child the responding force would not take.
    asked = consulted(exchange, f"csc-{pair.owning}", pair.owning)
    assert sorted(child.party for request in asked for child in request.children) == [
        "child-1",
        "child-2",
    ]
    await answer_all(exchange, pair.owning, ConsultationOutcome.NOTHING_KNOWN)
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.case_reference == pair.case


async def test_the_agencies_a_responding_force_consulted_learn_how_the_case_ended_6_3(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off_a_child(exchange, tenant)
    [their_csc] = consulted(exchange, f"csc-{pair.responding}", pair.responding)
    await exchange.send(
        topics.inbox(pair.responding, f"csc-{pair.responding}"),
        answer(their_csc, f"csc-{pair.responding}", exchange.clock),
        sender=f"csc-{pair.responding}",
        service="csc",
        subject=their_csc.case_reference,
    )
    await answer_all(exchange, pair.owning, ConsultationOutcome.NOTHING_KNOWN)
    closed = CaseClosedV1.model_validate(
        {
            **example_payload(CaseClosedV1),
            "case_reference": pair.case,
            "outcome": "no-disclosure-protective-action",
            "closed_at": exchange.clock.now().isoformat(),
        }
    )
    await exchange.send(
        topics.stream(pair.owning, "disclosure", "case-closed"),
        closed,
        sender=pair.owning,
        service="disclosure",
        subject=pair.case,
    )

    # The owning force tells the force that took the child on, which tells its own agency,
    # under its own case reference: the route and the outcome, never the content (5.6.22).
    [notice] = exchange.of_type(
        HandoffCaseClosedV1, topic=topics.inbox(pair.responding, pair.owning)
    )
    assert notice.responding_case_reference == their_csc.case_reference
    [told] = exchange.of_type(
        CaseOutcomeV1, topic=topics.inbox(f"csc-{pair.responding}", pair.responding)
    )
    assert told.consultation_id == their_csc.consultation_id
    assert told.case_reference == their_csc.case_reference
    assert told.force == pair.responding
    assert told.outcome is Outcome.NO_DISCLOSURE_PROTECTIVE_ACTION
    async with exchange.database.transaction(pair.responding) as tx:
        chain = await entries(tx.conn, tenant=pair.responding)
    assert (Action.DISCLOSURE, (f"csc-{pair.responding}",)) in {
        (e.action, e.recipients) for e in chain if "6.3" in e.reason
    }

    # Told once: a second notice, or one from a force that never handed the case, is refused.
    again = notice.model_copy(update={"closed_at": exchange.clock.now()})
    verdict, _ = await exchange.send(
        topics.inbox(pair.responding, pair.owning),
        again,
        sender=pair.owning,
        service="multiagency",
        subject=pair.case,
    )
    assert verdict is Verdict.DEAD
    forged = notice.model_copy(update={"owning_force": "elsewhere"})
    verdict, _ = await exchange.send(
        topics.inbox(pair.responding, "elsewhere"),
        forged,
        sender="elsewhere",
        service="multiagency",
        subject=pair.case,
    )
    assert verdict is Verdict.DEAD
    assert (
        len(
            exchange.of_type(
                CaseOutcomeV1, topic=topics.inbox(f"csc-{pair.responding}", pair.responding)
            )
        )
        == 1
    )
