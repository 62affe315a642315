"""Staff's HTTP API on a real PostgreSQL: follow a case, consult, schedule, decide the forum."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from schemas import topics
from schemas.checks import RecordKind
from schemas.disclosure import CaseClosedV1, CaseOutcomeV1, Outcome
from schemas.examples import example_payload
from schemas.multiagency import (
    AgencyKind,
    ConsultationOutcome,
    Forum,
    ForumDecidedV1,
    ForumScheduledV1,
    RequestConsultationV1,
)
from services.multiagency.api import create_app
from services.multiagency.areas import Directory
from services.runtime.audit import Action, entries
from services.runtime.consumer import Verdict
from services.runtime.service import HttpContext
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
async def staff(exchange: Exchange, tenant: str) -> AsyncIterator[httpx.AsyncClient]:
    force = exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    app = create_app(
        HttpContext(tenant, exchange.database, exchange.clock, issuer(tenant)), force.context
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://staff", headers=headers(tenant)
    ) as client:
        yield client


async def assessing(
    exchange: Exchange, tenant: str, *found: Any, consent: bool = True
) -> tuple[str, list[Any]]:
    """A case whose risk assessment waits for the agencies it consulted."""
    case = f"{tenant}-2026-000001"
    for stream, message in (
        ("enquiry-registered", enquiry(case, exchange.clock, consent=consent)),
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
        checks(case, exchange.clock, *found),
        sender=tenant,
        service="checks",
        subject=case,
    )
    return case, exchange.of_type(RequestConsultationV1)


async def at_mappa(exchange: Exchange, tenant: str) -> str:
    """A case whose MAPPA meeting is scheduled."""
    case, requests = await assessing(exchange, tenant, finding(RecordKind.REGISTRATION))
    for request in requests:
        agency = (
            f"csc-{tenant}"
            if request.agency_kind is AgencyKind.CHILDRENS_SOCIAL_CARE
            else f"probation-{tenant}"
        )
        await exchange.send(
            topics.inbox(tenant, agency),
            answer(request, agency, exchange.clock, outcome=ConsultationOutcome.NOTHING_KNOWN),
            sender=agency,
            service="agency",
            subject=case,
        )
    [scheduled] = exchange.of_type(ForumScheduledV1)
    assert scheduled.forum is Forum.MAPPA_MEETING
    return case


def rule_of(response: httpx.Response) -> str:
    """The field and rule of a refusal."""
    [problem] = response.json()["errors"]
    return f"{problem['field']}: {problem['rule']}"


def decision(tenant: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "route": "concerns",
        "recommend_disclosure": True,
        "rationale": "Registered sex offender with access to the child; the test is met.",
        "inform_subject": False,
        "community_risk_assessment": "Low risk to him at home; offender manager told.",
        "attendance": [
            {"agency": tenant, "role": "detective sergeant"},
            {"agency": f"probation-{tenant}", "role": "offender manager"},
            {"agency": f"csc-{tenant}", "role": "social worker"},
        ],
        "positions": [
            {"agency": f"probation-{tenant}", "position": "disclose"},
            {"agency": f"csc-{tenant}", "position": "disclose", "rationale": "Child at risk."},
        ],
        "information_shared": "ViSOR registration; licence conditions.",
    }
    return {**body, **changes}


async def test_staff_follow_a_case_without_seeing_particulars(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    case, _ = await assessing(exchange, tenant)
    response = await staff.get(f"/cases/{case}")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "assessing"
    assert [c["agency"] for c in body["consultations"]] == [f"csc-{tenant}"]
    assert "Taylor" not in response.text
    assert (await staff.get(f"/cases/{tenant}-2026-999999")).status_code == 404


async def test_mappa_meeting_within_28_days_unless_urgent_with_justification(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    case = await at_mappa(exchange, tenant)
    now = exchange.clock.now()
    late = {"forum": "mappa-meeting", "scheduled_for": (now + timedelta(days=29)).isoformat()}
    response = await staff.put(f"/cases/{case}/forum", json=late)
    assert response.status_code == 422
    assert "5.6.27" in rule_of(response)
    unjustified = {
        "forum": "mappa-meeting",
        "scheduled_for": (now + timedelta(days=1)).isoformat(),
        "urgent": True,
    }
    response = await staff.put(f"/cases/{case}/forum", json=unjustified)
    assert response.status_code == 422
    justified = {**unjustified, "urgency_justification": "Subject moves in on Friday."}
    response = await staff.put(f"/cases/{case}/forum", json=justified)
    assert response.status_code == 200
    await exchange.pump()
    first, moved = exchange.of_type(ForumScheduledV1)
    assert moved.urgent
    assert moved.forum_id == first.forum_id


async def test_other_professionals_meeting_only_by_exception(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    case = await at_mappa(exchange, tenant)
    when = (exchange.clock.now() + timedelta(days=3)).isoformat()
    plan = {"forum": "other-professionals-meeting", "scheduled_for": when}
    response = await staff.put(f"/cases/{case}/forum", json=plan)
    assert response.status_code == 422
    assert "5.6.12" in rule_of(response)
    plan["exception_reason"] = "The MAPPA panel cannot sit before the subject's release."
    assert (await staff.put(f"/cases/{case}/forum", json=plan)).status_code == 200


async def test_the_forum_decision_is_recorded_and_handed_to_disclosure(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    case = await at_mappa(exchange, tenant)
    path = f"/cases/{case}/forum/decision"
    police_only = decision(
        tenant, attendance=[{"agency": tenant, "role": "inspector"}], positions=[]
    )
    response = await staff.post(path, json=police_only)
    assert response.status_code == 422
    assert "multi-agency" in rule_of(response)
    absent = decision(tenant, positions=[{"agency": "health-nowhere", "position": "no-view"}])
    assert (await staff.post(path, json=absent)).status_code == 422
    inconsistent = decision(tenant, route="no-concerns")
    assert (await staff.post(path, json=inconsistent)).status_code == 422
    assert (await staff.post(path, json={"route": "concerns"})).status_code == 422

    response = await staff.post(path, json=decision(tenant))
    assert response.status_code == 201
    await exchange.pump()
    [decided] = exchange.of_type(ForumDecidedV1)
    assert decided.forum is Forum.MAPPA_MEETING
    assert decided.recommend_disclosure
    assert decided.forum_met
    assert {p.agency for p in decided.positions} == {f"probation-{tenant}", f"csc-{tenant}"}
    assert len(decided.attendance) == 3
    assert decided.information_shared == "ViSOR registration; licence conditions."
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    assert (Action.DISCLOSURE, (f"csc-{tenant}", f"probation-{tenant}")) in {
        (e.action, e.recipients) for e in chain
    }
    assert (await staff.post(path, json=decision(tenant))).status_code == 409
    assert (await staff.get(f"/cases/{case}")).json()["state"] == "decided"


async def test_staff_consult_another_agency_while_the_assessment_is_under_way(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    case, _ = await assessing(exchange, tenant)
    body = {
        "agency": f"health-{tenant}",
        "agency_kind": "health",
        "lawful_basis": "consent",
        "reason": "5.4.5: the health visitor knows the family; the applicant consented",
    }
    response = await staff.post(f"/cases/{case}/consultations", json=body)
    assert response.status_code == 201
    await exchange.pump()
    [sent] = [s for s in exchange.sent_of_type(RequestConsultationV1) if "health" in s.topic]
    assert sent.topic == topics.inbox(f"health-{tenant}", tenant)
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    assert (Action.CONSULTATION, (f"health-{tenant}",)) in {(e.action, e.recipients) for e in chain}
    assert (
        await staff.post(f"/cases/{tenant}-2026-999999/consultations", json=body)
    ).status_code == 404


async def test_sharing_rests_on_the_consent_given_or_a_recorded_necessity_5_1_12_5_4_5(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    # No consent at the initial contact; a conviction makes consulting necessary (5.4.5).
    case, asked = await assessing(exchange, tenant, finding(), consent=False)
    assert {request.lawful_basis.value for request in asked} == {"necessity"}
    path = f"/cases/{case}/consultations"
    health = {"agency": f"health-{tenant}", "agency_kind": "health"}

    on_consent = await staff.post(
        path, json={**health, "lawful_basis": "consent", "reason": "the applicant agreed"}
    )
    bare = await staff.post(path, json={**health, "lawful_basis": "necessity", "reason": "need"})
    argued = await staff.post(
        path,
        json={
            **health,
            "lawful_basis": "necessity",
            "reason": "The subject's conviction against a child; the health visitor sees the "
            "family weekly and may know of contact.",
        },
    )

    assert on_consent.status_code == 422
    [refused] = on_consent.json()["errors"]
    assert refused["field"] == "lawful_basis"
    assert "5.1.12" in refused["rule"]
    assert bare.status_code == 422
    [refused] = bare.json()["errors"]
    assert refused["field"] == "reason"
    assert "5.4.5" in refused["rule"]
    assert argued.status_code == 201
    await exchange.pump()
    sent = [s for s in exchange.sent_of_type(RequestConsultationV1) if "health" in s.topic]
    assert len(sent) == 1  # the refused two were never sent
    assert sent[0].decode(RequestConsultationV1).necessity_reason is not None


async def test_the_agencies_consulted_are_told_how_the_case_ended_6_3(
    exchange: Exchange, tenant: str
) -> None:
    exchange.add_force(tenant, Directory((area(tenant, "QA"),)))
    case = await at_mappa(exchange, tenant)
    asked = {r.agency_kind: r.consultation_id for r in exchange.of_type(RequestConsultationV1)}
    closed = CaseClosedV1.model_validate(
        {
            **example_payload(CaseClosedV1),
            "case_reference": case,
            "outcome": "no-disclosure-protective-action",
            "closed_at": exchange.clock.now().isoformat(),
        }
    )
    verdict, _ = await exchange.send(
        topics.stream(tenant, "disclosure", "case-closed"),
        closed,
        sender=tenant,
        service="disclosure",
        subject=case,
    )
    assert verdict is Verdict.APPLIED

    told = {sent.topic: sent.decode(CaseOutcomeV1) for sent in exchange.sent_of_type(CaseOutcomeV1)}
    assert set(told) == {
        topics.inbox(f"csc-{tenant}", tenant),
        topics.inbox(f"probation-{tenant}", tenant),
    }
    for notice in told.values():
        assert notice.consultation_id in asked.values()
        assert notice.outcome is Outcome.NO_DISCLOSURE_PROTECTIVE_ACTION
        assert notice.force == tenant
    async with exchange.database.transaction(tenant) as tx:
        chain = await entries(tx.conn, tenant=tenant, case_ref=case)
    shared = [e for e in chain if "6.3" in e.reason]
    assert [sorted(e.recipients) for e in shared] == [[f"csc-{tenant}", f"probation-{tenant}"]]


async def test_a_forum_recommending_disclosure_decides_if_the_subject_is_told_5_6_17_5_6_26(
    exchange: Exchange, tenant: str, staff: httpx.AsyncClient
) -> None:
    case = await at_mappa(exchange, tenant)
    url = f"/cases/{case}/forum/decision"
    undecided = {k: v for k, v in decision(tenant).items() if k != "inform_subject"}
    refused = await staff.post(url, json=undecided)
    assert refused.status_code == 422
    assert rule_of(refused).startswith("inform_subject: 5.6.17")
    unweighed = {**decision(tenant), "community_risk_assessment": None}
    assert rule_of(await staff.post(url, json=unweighed)).startswith(
        "community_risk_assessment: 5.6.26"
    )
    assert exchange.of_type(ForumDecidedV1) == []

    assert (await staff.post(url, json=decision(tenant, inform_subject=True))).status_code == 201
    await exchange.pump()
    [decided] = exchange.of_type(ForumDecidedV1)
    assert decided.inform_subject is True
    assert decided.community_risk_assessment
