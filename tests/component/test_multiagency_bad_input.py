"""Bad answers and handoffs go to the dead letters with their reason; nothing applies twice."""

from __future__ import annotations

from uuid import uuid4

from schemas import topics
from schemas.envelope import first_envelope, source_of
from schemas.multiagency import (
    HandoffAcceptedV1,
    HandoffRequestedV1,
    HandoffReturnedV1,
    RequestConsultationV1,
)
from services.multiagency.areas import Directory
from services.runtime.consumer import Verdict
from tests.component.test_multiagency_handoff import hand_off
from tests.component.test_multiagency_harness import (
    Exchange,
    answer,
    application,
    area,
    checks,
    enquiry,
    exchange,
    rows,
    subject,
)

__all__ = ["exchange"]  # the harness's fixture, used by name


async def consulted(exchange: Exchange, tenant: str) -> tuple[str, RequestConsultationV1]:
    """A force's case whose children's social care has been asked."""
    exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    case = f"{tenant}-2026-000001"
    for stream, message in (
        ("enquiry-registered", enquiry(case, exchange.clock)),
        ("application-submitted", application(case, exchange.clock)),
    ):
        await exchange.send(
            topics.stream(tenant, "intake", stream),
            message,
            sender=tenant,
            service="intake",
            subject=case,
        )
    await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        checks(case, exchange.clock),
        sender=tenant,
        service="checks",
        subject=case,
    )
    [request] = exchange.of_type(RequestConsultationV1)
    return case, request


async def test_an_answer_to_an_unknown_consultation_is_dead(
    exchange: Exchange, tenant: str
) -> None:
    case, request = await consulted(exchange, tenant)
    unknown = request.model_copy(update={"consultation_id": uuid4()})
    verdict, _ = await exchange.send(
        topics.inbox(tenant, f"csc-{tenant}"),
        answer(unknown, f"csc-{tenant}", exchange.clock),
        sender=f"csc-{tenant}",
        service="childrens_social_care",
        subject=case,
    )
    assert verdict is Verdict.DEAD
    [reason] = exchange.dead_letters(tenant)
    assert reason == f"consultation_id: {tenant} asked no consultation {unknown.consultation_id}"


async def test_an_answer_from_an_agency_that_was_not_asked_is_dead(
    exchange: Exchange, tenant: str
) -> None:
    case, request = await consulted(exchange, tenant)
    verdict, _ = await exchange.send(
        topics.inbox(tenant, "csc-elsewhere"),
        answer(request, "csc-elsewhere", exchange.clock),
        sender="csc-elsewhere",
        service="childrens_social_care",
        subject=case,
    )
    assert verdict is Verdict.DEAD
    [reason] = exchange.dead_letters(tenant)
    assert reason.startswith("agency: csc-elsewhere was not asked")
    [row] = await rows(exchange, tenant, "consultations")
    assert row["status"] == "requested"


async def test_an_answer_is_applied_once(exchange: Exchange, tenant: str) -> None:
    case, request = await consulted(exchange, tenant)
    reply = answer(request, f"csc-{tenant}", exchange.clock)
    _, envelope = await exchange.send(
        topics.inbox(tenant, f"csc-{tenant}"),
        reply,
        sender=f"csc-{tenant}",
        service="childrens_social_care",
        subject=case,
    )
    # The same record delivered again: found in the inbox, no effect.
    again = await exchange.deliver(topics.inbox(tenant, f"csc-{tenant}"), reply.to_json(), envelope)
    assert again is Verdict.DUPLICATE
    # The same answer sent anew: the consultation is closed.
    verdict, _ = await exchange.send(
        topics.inbox(tenant, f"csc-{tenant}"),
        reply,
        sender=f"csc-{tenant}",
        service="childrens_social_care",
        subject=case,
    )
    assert verdict is Verdict.DEAD
    assert exchange.dead_letters(tenant) == [
        f"consultation_id: consultation {request.consultation_id} is closed: "
        "it was answered already"
    ]
    assert len(await rows(exchange, tenant, "assessments")) == 1


def handoff_to(responding: str, owning: str) -> HandoffRequestedV1:
    return HandoffRequestedV1(
        handoff_id=uuid4(),
        owning_force=owning,
        responding_force=responding,
        owning_case_reference=f"{owning}-2026-000009",
        party="subject",
        particulars=subject("QB1 1AA"),
        actions=("local-checks", "forum"),
        respond_by="2026-12-10T17:00:00+00:00",
        closure_due_at="2027-01-06T09:30:00+00:00",
    )


async def test_a_handoff_to_a_force_that_is_not_this_one_is_dead(
    exchange: Exchange, tenant: str
) -> None:
    owning, responding = tenant, f"{tenant}r"
    both = Directory((area(owning, "QA"), area(responding, "QB")))
    exchange.add_force(responding, both)
    misaddressed = handoff_to("nowhere-constabulary", owning)
    forged = handoff_to(responding, owning)
    stranger = handoff_to(responding, "atlantis")
    for message, sender in ((misaddressed, owning), (forged, "cleveland"), (stranger, "atlantis")):
        verdict, _ = await exchange.send(
            topics.inbox(responding, sender),
            message,
            sender=sender,
            service="multiagency",
            subject=message.owning_case_reference,
        )
        assert verdict is Verdict.DEAD
    assert exchange.dead_letters(responding) == [
        f"responding_force: addressed to nowhere-constabulary, but this is the inbox of "
        f"{responding}",
        f"owning_force: {owning} differs from the sender cleveland",
        f"owning_force: atlantis is not a force {responding} knows",
    ]
    assert await rows(exchange, responding, "cases") == []


async def test_the_same_handoff_sent_twice_opens_one_case(exchange: Exchange, tenant: str) -> None:
    owning, responding = tenant, f"{tenant}r"
    both = Directory((area(owning, "QA"), area(responding, "QB")))
    exchange.add_force(responding, both)
    request = handoff_to(responding, owning)
    for _ in range(2):
        verdict, _ = await exchange.send(
            topics.inbox(responding, owning),
            request,
            sender=owning,
            service="multiagency",
            subject=request.owning_case_reference,
        )
        assert verdict is Verdict.APPLIED
    assert len(await rows(exchange, responding, "cases")) == 1
    assert len(exchange.of_type(HandoffAcceptedV1)) == 1


async def test_replies_to_a_handoff_never_made_or_from_another_force_are_dead(
    exchange: Exchange, tenant: str
) -> None:
    pair = await hand_off(exchange, tenant)
    [accepted] = exchange.of_type(HandoffAcceptedV1)
    unknown = accepted.model_copy(update={"handoff_id": uuid4()})
    returned = HandoffReturnedV1(
        handoff_id=accepted.handoff_id,
        owning_case_reference=pair.case,
        responding_force="cleveland",
        responding_case_reference="cleveland-ho-2026-000001",
        route="no-concerns",
        recommend_disclosure=False,
        rationale="Nothing known.",
        returned_at=exchange.clock.now(),
    )
    for message, sender in ((unknown, pair.responding), (returned, "cleveland")):
        envelope = first_envelope(
            type=message.TYPE,
            source=source_of(sender, "multiagency"),
            subject=pair.case,
            time=exchange.clock.now(),
        )
        verdict = await exchange.deliver(
            topics.inbox(pair.owning, sender), message.to_json(), envelope
        )
        assert verdict is Verdict.DEAD
    await exchange.pump()
    assert exchange.dead_letters(pair.owning) == [
        f"handoff_id: {pair.owning} made no handoff {unknown.handoff_id}",
        f"responding_force: cleveland was not asked in handoff {accepted.handoff_id}; "
        f"{pair.responding} was",
    ]
