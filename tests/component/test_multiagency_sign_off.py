"""The full risk assessment is a trained officer's: it waits for their sign-off with Appendix
D's questions answered, and their categorisation, not the system's, goes on (5.4.2-5.4.7).

Staff act through the multi-agency API, as they would; the case's messages come as the
other services publish them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from schemas import topics
from schemas.checks import (
    Candidate,
    CheckAnsweredLateV1,
    Concern,
    MatchOutcome,
    RecordKind,
    SettleMatchV1,
    System,
)
from schemas.multiagency import (
    AgencyKind,
    ConsultationOutcome,
    DecisionRoute,
    Forum,
    ForumDecidedV1,
    ForumScheduledV1,
    RequestConsultationV1,
    RiskAssessmentCompletedV1,
)
from services.multiagency.api import create_app
from services.multiagency.areas import Directory
from services.multiagency.domain import APPENDIX_D_QUESTIONS
from services.runtime.audit import Action, entries
from services.runtime.service import HttpContext
from services.runtime.staff import Role
from tests.component.test_multiagency_api import assessing, rule_of
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
from tests.support.staff import headers, issuer

__all__ = ["exchange"]  # the harness's fixture, used by name


@pytest.fixture
async def officer(exchange: Exchange, tenant: str) -> AsyncIterator[httpx.AsyncClient]:
    """A force with no scripted officer: its public protection officer signs off here."""
    force = exchange.add_force(tenant, Directory((area(tenant, "QA"),)), scripted_officer=False)
    app = create_app(
        HttpContext(tenant, exchange.database, exchange.clock, issuer(tenant)), force.context
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://staff",
        headers=headers(tenant, Role.PUBLIC_PROTECTION),
    ) as client:
        yield client


async def answered(exchange: Exchange, tenant: str, *found: Any) -> str:
    """A case whose checks and agencies have all answered: the assessment is proposed."""
    case, requests = await assessing(exchange, tenant, *found)
    for request in requests:
        kind = request.agency_kind
        agency = f"{'csc' if kind is AgencyKind.CHILDRENS_SOCIAL_CARE else 'probation'}-{tenant}"
        await exchange.send(
            topics.inbox(tenant, agency),
            answer(request, agency, exchange.clock, outcome=ConsultationOutcome.NOTHING_KNOWN),
            sender=agency,
            service="agency",
            subject=case,
        )
    return case


def sign_off(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "route": "concerns",
        "categories": ["child-sexual-offence-conviction"],
        "answers": {
            question.value: "Considered: see the case record." for question in APPENDIX_D_QUESTIONS
        },
        "rationale": "Registered for a 2009 offence against a child; has access to Amy.",
    }
    return {**body, **changes}


async def test_the_risk_assessment_waits_for_a_trained_officer_to_sign_it_off_5_4_2(
    exchange: Exchange, tenant: str, officer: httpx.AsyncClient
) -> None:
    case = await answered(exchange, tenant, finding(RecordKind.REGISTRATION))

    # Proposed from the records, but nothing goes on until an officer signs it off.
    assert exchange.of_type(RiskAssessmentCompletedV1) == []
    assert exchange.of_type(ForumScheduledV1) == []
    proposed = (await officer.get(f"/cases/{case}/risk-assessment")).json()
    assert proposed["state"] == "awaiting-sign-off"
    assert proposed["route"] == "concerns"
    assert proposed["signed_off_at"] is None
    assert set(proposed["questions"]) == {question.value for question in APPENDIX_D_QUESTIONS}

    unanswered = sign_off()
    del unanswered["answers"]["contact"]
    refused = await officer.post(f"/cases/{case}/risk-assessment/sign-off", json=unanswered)
    assert refused.status_code == 422
    assert rule_of(refused).startswith("answers.contact: every Appendix D question")
    call_handler = headers(tenant, Role.INITIAL_CONTACT)
    forbidden = await officer.post(
        f"/cases/{case}/risk-assessment/sign-off", json=sign_off(), headers=call_handler
    )
    assert forbidden.status_code == 403
    assert exchange.of_type(RiskAssessmentCompletedV1) == []

    signed = await officer.post(f"/cases/{case}/risk-assessment/sign-off", json=sign_off())
    assert signed.status_code == 201, signed.text
    assert signed.json()["signed_off_by"] == "PC 4711"
    await exchange.pump()

    [completed] = exchange.of_type(RiskAssessmentCompletedV1)
    assert completed.signed_off_by == "PC 4711"
    assert completed.rationale.startswith("Registered for a 2009 offence against a child")
    assert "What the records show:" in completed.rationale
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.forum is Forum.MAPPA_MEETING
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    [signing] = [e for e in chain if "Appendix D" in e.reason]
    assert signing.action is Action.COLLECTION
    assert "PC 4711" in signing.actor
    again = await officer.post(f"/cases/{case}/risk-assessment/sign-off", json=sign_off())
    assert again.status_code == 409


async def test_an_officer_who_categorises_otherwise_says_why_and_a_forum_decides_5_4_7(
    exchange: Exchange, tenant: str, officer: httpx.AsyncClient
) -> None:
    # Nothing on any system, every agency answered: the records alone would close it at once.
    case = await answered(exchange, tenant)
    proposed = (await officer.get(f"/cases/{case}/risk-assessment")).json()
    assert proposed["route"] == "no-concerns"
    assert exchange.of_type(ForumDecidedV1) == []  # not even 'no concerns' goes on unsigned

    otherwise = sign_off(categories=["concerning-behaviour"])
    unexplained = await officer.post(f"/cases/{case}/risk-assessment/sign-off", json=otherwise)
    assert unexplained.status_code == 422
    assert rule_of(unexplained).startswith("reason_for_change:")
    mismatched = sign_off(route="no-concerns")
    inconsistent = await officer.post(f"/cases/{case}/risk-assessment/sign-off", json=mismatched)
    assert rule_of(inconsistent).startswith("categories:")

    because = "The applicant describes the subject grooming Amy with gifts and secrets."
    explained = {**otherwise, "reason_for_change": because}
    signed = await officer.post(f"/cases/{case}/risk-assessment/sign-off", json=explained)
    assert signed.status_code == 201, signed.text
    assert signed.json()["route"] == "concerns"
    assert signed.json()["proposed_route"] == "no-concerns"
    await exchange.pump()

    [completed] = exchange.of_type(RiskAssessmentCompletedV1)
    assert completed.route is DecisionRoute.CONCERNS
    assert because in completed.rationale
    assert exchange.of_type(ForumDecidedV1) == []  # a person's categorisation goes to a forum
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.case_reference == case
    assert len(exchange.of_type(RequestConsultationV1)) >= 1


async def test_a_researcher_settles_a_possible_match_and_the_assessment_weighs_it_5_4_4(
    exchange: Exchange, tenant: str, officer: httpx.AsyncClient
) -> None:
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
    namesakes = (
        Candidate(record_reference="PNC/09/1", confidence=0.74, reasons=("surname-exact",)),
        Candidate(record_reference="PNC/11/2", confidence=0.61, reasons=("surname-exact",)),
    )
    stage4 = checks(case, exchange.clock)
    [nothing] = stage4.results
    possible = nothing.model_copy(
        update={"outcome": MatchOutcome.POSSIBLE_MATCH, "confidence": 0.74, "candidates": namesakes}
    )
    await exchange.send(
        topics.stream(tenant, "checks", "checks-completed"),
        stage4.model_copy(update={"results": (possible,)}),
        sender=tenant,
        service="checks",
        subject=case,
    )
    [request] = exchange.of_type(RequestConsultationV1)
    csc = f"csc-{tenant}"
    await exchange.send(
        topics.inbox(tenant, csc),
        answer(request, csc, exchange.clock),
        sender=csc,
        service="agency",
        subject=case,
    )
    assert (await officer.get(f"/cases/{case}/risk-assessment")).json()["route"] == "no-concerns"

    url = f"/cases/{case}/possible-matches"
    body = {
        "system": "pnc",
        "party": "subject",
        "record_reference": "PNC/09/1",
        "reason": "Same date of birth and home address as the application gives.",
    }
    stranger = await officer.post(url, json={**body, "record_reference": "PNC/99/9"})
    assert rule_of(stranger).startswith("record_reference:")
    unexplained = await officer.post(url, json={**body, "reason": "looks right"})
    assert rule_of(unexplained).startswith("reason:")
    assert exchange.of_type(SettleMatchV1) == []
    settled = await officer.post(url, json=body)
    assert settled.status_code == 202, settled.text
    await exchange.pump()

    [sent] = exchange.sent_of_type(SettleMatchV1)
    assert sent.topic == topics.stream(tenant, "multiagency", "settle-match")
    asked = sent.decode(SettleMatchV1)
    assert (asked.system, asked.party, asked.record_reference) == (
        System.PNC,
        "subject",
        "PNC/09/1",
    )
    # The checks ask PNC for that record; it comes back as a late answer of stage 4.
    found = CheckAnsweredLateV1(
        case_reference=case,
        stage=asked.stage,
        result=possible.model_copy(
            update={"outcome": MatchOutcome.MATCH, "confidence": 1.0, "findings": (finding(),)}
        ),
        answered_at=exchange.clock.now(),
        completed_at=stage4.completed_at,
        concerns=(Concern.CHILD_SEXUAL_CONVICTION,),
    )
    await exchange.send(
        topics.stream(tenant, "checks", "check-answered-late"),
        found,
        sender=tenant,
        service="checks",
        subject=case,
    )
    revised = (await officer.get(f"/cases/{case}/risk-assessment")).json()
    assert revised["state"] == "awaiting-sign-off"
    assert revised["route"] == "concerns"
    assert "child-sexual-offence-conviction" in revised["categories"]
