"""Immediate risk reaches children's social care at once, and is chased (2.7, 5.1.11, 5.2.14).

The escalation intake raises from the applicant's answers is taken by multi-agency off the
force's safeguarding stream and referred to the area's children's social care on its inbox;
the agency's acknowledgement comes back on the force's; one that does not come is chased.
"""

from __future__ import annotations

from datetime import timedelta

from schemas import topics
from schemas.examples import example_payload
from schemas.safeguarding import (
    ReferImmediateRiskV1,
    ReferralAcknowledgedV1,
    ReferralResponse,
    SafeguardingEscalationRaisedV1,
)
from services.multiagency import referral
from services.multiagency.areas import Directory
from services.runtime.audit import Action, entries
from services.runtime.consumer import Verdict
from tests.component.test_multiagency_harness import Exchange, area, exchange

__all__ = ["exchange"]  # the harness's fixture, used by name


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
