"""Immediate risk reaches children's social care at once, and is chased (2.7, 5.1.11, 5.2.14).

The escalation intake raises from the applicant's answers is taken by multi-agency off the
force's safeguarding stream and referred to the area's children's social care on its inbox;
the agency's acknowledgement comes back on the force's; one that does not come is chased.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from schemas import topics
from schemas.checks import ChecksCompletedV1, MatchOutcome
from schemas.examples import example_payload
from schemas.intake import ApplicationSubmittedV1
from schemas.safeguarding import (
    ReferImmediateRiskV1,
    ReferralAcknowledgedV1,
    ReferralOverdueV1,
    ReferralResponse,
    Risk,
    SafeguardingEscalationRaisedV1,
)
from schemas.stages import Stage
from services.multiagency import referral
from services.multiagency.areas import Directory
from services.runtime.audit import Action, entries
from services.runtime.consumer import Verdict
from services.runtime.staff import Role
from tests.component.test_multiagency_api import staff
from tests.component.test_multiagency_harness import (
    Exchange,
    application,
    area,
    checks,
    enquiry,
    exchange,
    finding,
    with_a_child_elsewhere,
)
from tests.support.staff import headers

__all__ = ["exchange", "staff"]  # the harness's fixtures, used by name


async def escalated(exchange: Exchange, tenant: str) -> tuple[str, ReferImmediateRiskV1]:
    """A force whose intake raised an escalation at the initial contact, as published."""
    exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    case = f"{tenant}-2026-000001"
    escalation = SafeguardingEscalationRaisedV1.model_validate(
        {
            **example_payload(SafeguardingEscalationRaisedV1),
            "case_reference": case,
            "childrens_social_care": None,
            "raised_at": exchange.clock.now().isoformat(),
        }
    )
    verdict, _ = await exchange.send(
        topics.stream(tenant, "safeguarding", "escalation-raised"),
        escalation,
        sender=tenant,
        service="intake",
        subject=case,
    )
    assert verdict is Verdict.APPLIED
    [sent] = exchange.sent_of_type(ReferImmediateRiskV1)
    assert sent.topic == topics.inbox(f"csc-{tenant}", tenant)
    return case, sent.decode(ReferImmediateRiskV1)


async def acknowledge(
    exchange: Exchange, tenant: str, referred: ReferImmediateRiskV1, *, agency: str
) -> Verdict:
    acknowledged = ReferralAcknowledgedV1(
        referral_id=referred.referral_id,
        case_reference=referred.case_reference,
        agency=agency,
        response=ReferralResponse.STRATEGY_DISCUSSION,
        acknowledged_at=exchange.clock.now(),
    )
    verdict, _ = await exchange.send(
        topics.inbox(tenant, agency),
        acknowledged,
        sender=agency,
        service="childrens_social_care",
        subject=referred.case_reference,
    )
    return verdict


async def test_immediate_risk_is_referred_to_childrens_social_care_at_once_2_7_5_1_11(
    exchange: Exchange, tenant: str
) -> None:
    case, referred = await escalated(exchange, tenant)

    assert referred.referring_force == tenant
    assert referred.section_47
    assert referred.grounds == example_payload(SafeguardingEscalationRaisedV1)["grounds"]
    assert referred.acknowledge_by == exchange.clock.now() + timedelta(hours=1)
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    assert (Action.DISCLOSURE, (f"csc-{tenant}",)) in {(e.action, e.recipients) for e in chain}

    # Another agency's acknowledgement is refused; children's social care's is kept, once.
    assert await acknowledge(exchange, tenant, referred, agency="csc-elsewhere") is Verdict.DEAD
    assert await acknowledge(exchange, tenant, referred, agency=f"csc-{tenant}") is Verdict.APPLIED
    assert await acknowledge(exchange, tenant, referred, agency=f"csc-{tenant}") is Verdict.DEAD
    async with exchange.database.transaction(tenant) as tx:
        [kept] = await referral.referrals_of(tx, case_reference=case)
    assert kept.response is ReferralResponse.STRATEGY_DISCUSSION
    assert kept.acknowledged_at == exchange.clock.now()
    exchange.clock.advance(timedelta(hours=2))
    assert await exchange.sweep(tenant) == 0  # acknowledged: nothing to chase


async def test_a_referral_not_acknowledged_in_time_is_chased_once(
    exchange: Exchange, tenant: str
) -> None:
    case, _ = await escalated(exchange, tenant)
    exchange.clock.advance(timedelta(minutes=59))
    assert await exchange.sweep(tenant) == 0

    exchange.clock.advance(timedelta(minutes=2))
    assert await exchange.sweep(tenant) == 1
    assert await exchange.sweep(tenant) == 0
    async with exchange.database.transaction(tenant) as tx:
        [chased] = await referral.referrals_of(tx, case_reference=case)
    assert chased.overdue_at == exchange.clock.now()
    assert chased.acknowledged_at is None
    # The duty officer sees it: once, on the force's stream that ops reads.
    [sent] = exchange.sent_of_type(ReferralOverdueV1)
    assert sent.topic == topics.stream(tenant, "multiagency", "referral-overdue")
    overdue = sent.decode(ReferralOverdueV1)
    assert (overdue.referral_id, overdue.agency) == (chased.referral_id, f"csc-{tenant}")
    assert sent.envelope.subject == case


def living_with(case: str, exchange: Exchange) -> ApplicationSubmittedV1:
    """An application whose subject lives at the applicant's home, where the child lives."""
    submitted = application(case, exchange.clock)
    home = submitted.applicant.address
    moved = submitted.subject.model_copy(update={"addresses": (home.model_copy(),)})
    return submitted.model_copy(update={"subject": moved})


async def at_stage_four(exchange: Exchange, tenant: str, submitted: ApplicationSubmittedV1) -> None:
    """A case whose application is in, waiting for its stage 4 checks."""
    if tenant not in exchange.forces:
        exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    for stream, message in (
        ("enquiry-registered", enquiry(submitted.case_reference, exchange.clock)),
        ("application-submitted", submitted),
    ):
        await exchange.send(
            topics.stream(tenant, "intake", stream),
            message,
            sender=tenant,
            service="intake",
            subject=submitted.case_reference,
        )


async def send_checks(exchange: Exchange, tenant: str, completed: ChecksCompletedV1) -> None:
    verdict, _ = await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        completed,
        sender=tenant,
        service="checks",
        subject=completed.case_reference,
    )
    assert verdict is Verdict.APPLIED


async def test_the_checks_raise_imminent_risk_when_the_subject_lives_with_a_child_5_4_6(
    exchange: Exchange, tenant: str
) -> None:
    case = f"{tenant}-2026-000002"
    await at_stage_four(exchange, tenant, living_with(case, exchange))

    await send_checks(exchange, tenant, checks(case, exchange.clock, finding()))

    [raised] = exchange.sent_of_type(SafeguardingEscalationRaisedV1)
    assert raised.topic == topics.stream(tenant, "safeguarding", "escalation-raised")
    assert raised.envelope.source == f"/{tenant}/multiagency"
    escalation = raised.decode(SafeguardingEscalationRaisedV1)
    assert escalation.risk is Risk.IMMINENT
    assert escalation.stage is Stage.FULL_RISK_ASSESSMENT
    assert "Schedule 34A" in escalation.grounds
    [referred] = exchange.of_type(ReferImmediateRiskV1)
    assert referred.grounds == escalation.grounds
    assert [child.party for child in referred.children] == ["child-1"]

    # Raised once: the same findings again (a late answer, a later look) raise nothing more.
    await send_checks(exchange, tenant, checks(case, exchange.clock, finding()))
    assert len(exchange.of_type(ReferImmediateRiskV1)) == 1


async def test_no_escalation_from_a_possible_match_or_a_subject_living_elsewhere_5_4_6(
    exchange: Exchange, tenant: str
) -> None:
    elsewhere = f"{tenant}-2026-000003"
    await at_stage_four(exchange, tenant, application(elsewhere, exchange.clock))
    await send_checks(exchange, tenant, checks(elsewhere, exchange.clock, finding()))

    namesake = f"{tenant}-2026-000004"
    await at_stage_four(exchange, tenant, living_with(namesake, exchange))
    possible = checks(namesake, exchange.clock, finding())
    [result] = possible.results
    unsettled = result.model_copy(update={"outcome": MatchOutcome.POSSIBLE_MATCH})
    await send_checks(exchange, tenant, possible.model_copy(update={"results": (unsettled,)}))

    assert exchange.of_type(SafeguardingEscalationRaisedV1) == []
    assert exchange.of_type(ReferImmediateRiskV1) == []


async def test_any_member_of_staff_raises_immediate_risk_at_any_stage_2_7_5_6_11(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    case = f"{tenant}-2026-000005"
    await at_stage_four(exchange, tenant, application(case, exchange.clock))
    body = {
        "stage": "outcome-and-closure",
        "risk": "immediate",
        "grounds": "At the disclosure visit the child said the subject hurt her last night.",
    }
    # The initial-contact staff may raise it too: whoever sees the risk acts (2.7).
    as_call_handler = headers(tenant, Role.INITIAL_CONTACT)

    too_thin = await staff.post(
        f"/cases/{case}/escalations", json={**body, "grounds": "urgent"}, headers=as_call_handler
    )
    assert too_thin.status_code == 422
    assert "grounds" in too_thin.text
    unknown = await staff.post(
        f"/cases/{tenant}-2026-999999/escalations", json=body, headers=as_call_handler
    )
    assert unknown.status_code == 404
    assert exchange.of_type(ReferImmediateRiskV1) == []

    raised = await staff.post(f"/cases/{case}/escalations", json=body, headers=as_call_handler)
    assert raised.status_code == 202
    await exchange.pump()

    [referred] = exchange.of_type(ReferImmediateRiskV1)
    assert referred.stage is Stage.OUTCOME_AND_CLOSURE
    assert referred.risk is Risk.IMMEDIATE
    assert referred.grounds == body["grounds"]
    [shown] = (await staff.get(f"/cases/{case}")).json()["referrals"]
    assert shown["agency"] == f"csc-{tenant}"
    assert shown["stage"] == "outcome-and-closure"
    assert shown["acknowledged_at"] is None
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    [collected] = [e for e in chain if e.action is Action.COLLECTION]
    assert "PC 4711" in collected.actor

    await acknowledge(exchange, tenant, referred, agency=f"csc-{tenant}")
    exchange.clock.advance(timedelta(hours=2))
    assert await exchange.sweep(tenant) == 0
    [acknowledged] = (await staff.get(f"/cases/{case}")).json()["referrals"]
    assert acknowledged["response"] == "strategy-discussion"
    assert acknowledged["chased_at"] is None


async def test_immediate_risk_to_a_child_in_another_forces_area_goes_to_its_csc_there_3_5(
    exchange: Exchange, tenant: str
) -> None:
    owning, other = tenant, f"{tenant}r"
    both = Directory((area(owning, "QA"), area(other, "QB")))
    exchange.add_force(owning, both)
    exchange.add_force(other, both)
    case = f"{owning}-2026-000001"
    for stream, message in (
        ("enquiry-registered", enquiry(case, exchange.clock)),
        ("application-submitted", with_a_child_elsewhere(application(case, exchange.clock))),
    ):
        await exchange.send(
            topics.stream(owning, "intake", stream),
            message,
            sender=owning,
            service="intake",
            subject=case,
        )
    escalation = SafeguardingEscalationRaisedV1.model_validate(
        {
            **example_payload(SafeguardingEscalationRaisedV1),
            "case_reference": case,
            "childrens_social_care": None,
            "raised_at": exchange.clock.now().isoformat(),
        }
    )
    await exchange.send(
        topics.stream(owning, "safeguarding", "escalation-raised"),
        escalation,
        sender=owning,
        service="multiagency",
        subject=case,
    )

    # 3.5: each child goes to the children's social care of the area where the child lives:
    # the owning force's own for the child at home, the other force for the child there ...
    sent = {
        s.topic: s.decode(ReferImmediateRiskV1) for s in exchange.sent_of_type(ReferImmediateRiskV1)
    }
    mine = sent[topics.inbox(f"csc-{owning}", owning)]
    assert [child.party for child in mine.children] == ["child-1"]
    to_other = sent[topics.inbox(other, owning)]
    assert [child.party for child in to_other.children] == ["child-2"]
    # ... which refers the child to its own children's social care at once (4.10).
    theirs = sent[topics.inbox(f"csc-{other}", other)]
    assert theirs.referring_force == other
    assert theirs.case_reference == case
    assert [child.party for child in theirs.children] == ["child-2"]
    assert theirs.grounds == escalation.grounds
    async with exchange.database.transaction(other) as tx:
        chain = await entries(tx.conn, tenant=other, case_ref=case)
    assert (Action.DISCLOSURE, (f"csc-{other}",)) in {(e.action, e.recipients) for e in chain}

    # Its children's social care acknowledges; the acknowledgement reaches the owning force.
    assert await acknowledge(exchange, other, theirs, agency=f"csc-{other}") is Verdict.APPLIED
    async with exchange.database.transaction(owning) as tx:
        kept = {r.agency: r for r in await referral.referrals_of(tx, case_reference=case)}
    assert kept[other].acknowledged_at == exchange.clock.now()
    assert kept[other].response is ReferralResponse.STRATEGY_DISCUSSION
    assert kept[f"csc-{owning}"].acknowledged_at is None
    # The owning force still chases its own area's children's social care, and only that.
    exchange.clock.advance(timedelta(hours=2))
    assert await exchange.sweep(owning) == 1
    assert await exchange.sweep(other) == 0


async def test_a_referral_from_a_force_it_does_not_know_is_refused_3_5(
    exchange: Exchange, tenant: str
) -> None:
    exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    forged = ReferImmediateRiskV1.model_validate(
        {
            **example_payload(ReferImmediateRiskV1),
            "referring_force": "nowhere",
            "case_reference": "nowhere-2026-000001",
        }
    )
    verdict, _ = await exchange.send(
        topics.inbox(tenant, "nowhere"),
        forged,
        sender="nowhere",
        service="multiagency",
        subject=forged.case_reference,
    )
    assert verdict is Verdict.DEAD
    # Dead-lettered, and nothing passed on to this area's children's social care.
    assert [s.topic for s in exchange.sent_of_type(ReferImmediateRiskV1)] == [
        topics.dead_letters(tenant)
    ]
