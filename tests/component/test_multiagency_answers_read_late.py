"""An agency's answer counts by when it was sent, and one that came late is kept (6.2, 6.3).

Under load an answer sent in time can be read after the overdue clock ran and the assessment
went ahead without it; one that truly came late still holds what an agency knows. Neither is
ever dead-lettered: a forum not yet decided weighs it, and after the decision it joins the
record for review while what was decided stands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from schemas import topics
from schemas.multiagency import (
    ConsultationOutcome,
    DecisionRoute,
    ForumScheduledV1,
    RequestConsultationV1,
    RiskAssessmentCompletedV1,
)
from services.multiagency.api import create_app
from services.multiagency.store import CaseState
from services.runtime.audit import Action, entries
from services.runtime.consumer import Verdict
from services.runtime.service import HttpContext
from tests.component.test_multiagency_consultations import complete_checks, open_case
from tests.component.test_multiagency_harness import Exchange, answer, exchange
from tests.component.test_multiagency_late_answers import forum_finds_no_concerns
from tests.support.staff import headers, issuer

__all__ = ["exchange"]  # the harness's fixture, used by name


async def overdue(exchange: Exchange, tenant: str) -> tuple[str, RequestConsultationV1]:
    """A case whose children's social care was silent past its time: the forum is convened."""
    case = await open_case(exchange, tenant, consent=True)
    await complete_checks(exchange, tenant, case)
    [csc] = exchange.of_type(RequestConsultationV1)
    exchange.clock.advance(timedelta(days=3, minutes=1))
    await exchange.sweep(tenant)
    [assessment] = exchange.of_type(RiskAssessmentCompletedV1)
    assert assessment.agencies_not_answered == (f"csc-{tenant}",)
    assert len(exchange.of_type(ForumScheduledV1)) == 1
    return case, csc


async def send_answer(
    exchange: Exchange, tenant: str, csc: RequestConsultationV1, *, sent_at: datetime
) -> Verdict:
    """Children's social care's answer: a child protection plan, sent at `sent_at`."""
    reply = answer(
        csc,
        f"csc-{tenant}",
        exchange.clock,
        outcome=ConsultationOutcome.INFORMATION_SHARED,
        child_protection_plan=True,
    ).model_copy(update={"answered_at": sent_at})
    verdict, _ = await exchange.send(
        topics.inbox(tenant, f"csc-{tenant}"),
        reply,
        sender=f"csc-{tenant}",
        service="childrens_social_care",
        subject=csc.case_reference,
    )
    return verdict


async def shown(exchange: Exchange, tenant: str, case: str) -> dict[str, Any]:
    """The case as staff see it over HTTP."""
    http = HttpContext(tenant, exchange.database, exchange.clock, issuer(tenant))
    app = create_app(http, exchange.forces[tenant].context)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://staff", headers=headers(tenant)
    ) as client:
        answered = await client.get(f"/cases/{case}")
    assert answered.status_code == 200
    view: dict[str, Any] = answered.json()
    return view


async def audit_actions(exchange: Exchange, tenant: str, case: str) -> list[tuple[Action, str]]:
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    return [(entry.action, entry.reason) for entry in chain]


async def test_an_answer_sent_in_time_but_read_after_the_overdue_clock_counts_6_3(
    exchange: Exchange, tenant: str
) -> None:
    case, csc = await overdue(exchange, tenant)

    verdict = await send_answer(
        exchange, tenant, csc, sent_at=csc.respond_by - timedelta(seconds=5)
    )

    assert verdict is Verdict.APPLIED
    assert exchange.dead_letters(tenant) == []
    view = await shown(exchange, tenant, case)
    [consultation] = view["consultations"]
    assert consultation["status"] == "answered"
    assert consultation["answered_in_time"] is True
    assert consultation["answer_effect"] == "revises-assessment"
    # What the forum weighs now holds the plan, and no longer says the agency was silent.
    assert view["route"] == DecisionRoute.CONCERNS.value
    assert view["assessment_revised_at"] is not None
    assert view["state"] == CaseState.FORUM_SCHEDULED
    revised = [
        reason
        for action, reason in await audit_actions(exchange, tenant, case)
        if action is Action.ALTERATION
    ]
    assert len(revised) == 1
    assert "6.3" in revised[0]


async def test_an_answer_that_truly_came_late_is_kept_for_the_forum_not_dead_lettered_6_3(
    exchange: Exchange, tenant: str
) -> None:
    case, csc = await overdue(exchange, tenant)
    exchange.clock.advance(timedelta(hours=6))

    verdict = await send_answer(exchange, tenant, csc, sent_at=exchange.clock.now())

    assert verdict is Verdict.APPLIED
    assert exchange.dead_letters(tenant) == []
    view = await shown(exchange, tenant, case)
    [consultation] = view["consultations"]
    assert consultation["answered_in_time"] is False
    assert consultation["answer_effect"] == "revises-assessment"
    assert view["route"] == DecisionRoute.CONCERNS.value  # the forum still weighs it


async def test_an_answer_after_the_forum_decided_is_kept_for_review_and_the_decision_stands(
    exchange: Exchange, tenant: str
) -> None:
    case, csc = await overdue(exchange, tenant)
    await forum_finds_no_concerns(exchange, tenant, case)
    before = await shown(exchange, tenant, case)
    published = len(exchange.published)
    exchange.clock.advance(timedelta(days=1))

    verdict = await send_answer(exchange, tenant, csc, sent_at=exchange.clock.now())

    assert verdict is Verdict.APPLIED
    assert exchange.dead_letters(tenant) == []
    after = await shown(exchange, tenant, case)
    [consultation] = after["consultations"]
    assert consultation["answer_effect"] == "after-decision"
    assert consultation["answered_in_time"] is False
    assert after["state"] == CaseState.DECIDED
    assert after["route"] == before["route"] == DecisionRoute.NO_CONCERNS.value
    assert after["assessment_revised_at"] is None
    assert len(exchange.published) == published  # nothing decided anew, nothing handed on
    actions = await audit_actions(exchange, tenant, case)
    [joined] = [reason for action, reason in actions if action is Action.COMBINATION]
    assert "after the forum decided" in joined
    assert "6.3" in joined
    assert not [reason for action, reason in actions if action is Action.ALTERATION]
