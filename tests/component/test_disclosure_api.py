"""The disclosure service on a real PostgreSQL: decision, delivery, closure, and refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from schemas.checks import ChecksCompletedV1
from schemas.examples import example_payload
from schemas.intake import ApplicationSubmittedV1
from schemas.multiagency import ForumDecidedV1
from services.disclosure.api import create_app
from services.disclosure.app import wire
from services.runtime.consumer import Processor, Record, Verdict
from services.runtime.service import HttpContext
from tests.component.conftest import Component
from tests.support.records import stream_record
from tests.support.staff import headers, issuer

Build = Callable[..., Awaitable[Component]]

SCHEDULE_34A_CONVICTION = {
    "system": "pnc",
    "party": "subject",
    "outcome": "match",
    "confidence": 0.98,
    "findings": [
        {
            "kind": "conviction",
            "category": "child-sexual",
            "schedule_34a": True,
            "summary": "Sexual assault of a child under 13, 2009.",
            "record_reference": "PNC/09/1",
        }
    ],
}


@dataclass
class Disclosure:
    http: httpx.AsyncClient
    component: Component
    tenant: str

    async def process(self, incoming: Record) -> Verdict:
        wiring = wire(self.tenant, self.component.clock)
        subscription = next(s for s in wiring.subscriptions if s.reads(incoming.topic))
        processor = Processor(
            service="disclosure",
            tenant=self.tenant,
            database=self.component.database,
            routes=subscription.routes,
            ignored=subscription.ignored,
            clock=self.component.clock,
            backoff_seconds=0,
        )
        return await processor.process(incoming)

    async def feed(self, *records: Record) -> None:
        for incoming in records:
            assert await self.process(incoming) is Verdict.APPLIED

    async def emitted(self) -> list[str]:
        async with self.component.database.transaction(self.tenant) as tx:
            rows = await tx.conn.fetch("SELECT header_names, header_values FROM outbox ORDER BY id")
        return [
            dict(zip(row["header_names"], row["header_values"], strict=True))["ce_type"]
            .decode()
            .removeprefix("csods.disclosure.")
            .removesuffix(".v1")
            for row in rows
        ]


@pytest.fixture
async def d(component: Build, tenant: str) -> AsyncIterator[Disclosure]:
    built = await component("disclosure", tenant)
    app = create_app(HttpContext(tenant, built.database, built.clock, issuer(tenant)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://disclosure",
        headers=headers(tenant),
    ) as http:
        yield Disclosure(http, built, tenant)


def case_of(tenant: str) -> str:
    return f"{tenant}-2026-000001"


async def arrive(
    d: Disclosure,
    *,
    route: str,
    verified: bool = True,
    findings: bool = True,
    results: list[dict[str, Any]] | None = None,
    recommend: bool | None = None,
    subject_at: dict[str, Any] | None = None,
    inform_subject: bool = False,
) -> str:
    case = case_of(d.tenant)
    payload = example_payload(ApplicationSubmittedV1)
    if subject_at is not None:
        payload["subject"] = {**payload["subject"], "addresses": [subject_at]}
    application = ApplicationSubmittedV1.model_validate({**payload, "case_reference": case})
    if not verified:
        application = application.model_copy(
            update={
                "identity": application.identity.model_copy(
                    update={"verified": False, "evidence": ()}
                )
            }
        )
    checks = ChecksCompletedV1.model_validate(
        {
            **example_payload(ChecksCompletedV1),
            "case_reference": case,
            "results": results if results is not None else [SCHEDULE_34A_CONVICTION] * findings,
        }
    )
    forum = ForumDecidedV1.model_validate(
        {
            **example_payload(ForumDecidedV1),
            "case_reference": case,
            "route": route,
            "recommend_disclosure": route == "concerns" if recommend is None else recommend,
            "inform_subject": inform_subject,
        }
    )
    await d.feed(
        stream_record(d.tenant, "intake", "application-submitted", application, case),
        stream_record(d.tenant, "checks", "checks-completed", checks, case),
        stream_record(d.tenant, "multiagency", "forum-decided", forum, case),
    )
    return case


def decision(**changes: Any) -> dict[str, Any]:
    payload = example_payload(ApplicationSubmittedV1)  # for the applicant's name
    from schemas.disclosure import DecisionDetails  # noqa: PLC0415

    base = example_payload(DecisionDetails)
    base["recipient"] = {"relationship": "applicant", "name": payload["applicant"]["name"]}
    return {**base, **changes}


def delivery(**changes: Any) -> dict[str, Any]:
    from schemas.disclosure import DeliveryDetails  # noqa: PLC0415

    return {**example_payload(DeliveryDetails), **changes}


async def test_a_disclosure_is_decided_delivered_in_person_and_closed(d: Disclosure) -> None:
    case = await arrive(d, route="concerns")
    view = (await d.http.get(f"/cases/{case}")).json()
    assert view["presumption_to_disclose"] is True
    decided = await d.http.post(f"/cases/{case}/decision", json=decision())
    assert decided.status_code == 200, decided.text
    delivered = await d.http.post(f"/cases/{case}/delivery", json=delivery())
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["disclosed"] is True
    protect = await d.http.post(
        f"/cases/{case}/protective-action",
        json={"actions": ["licence-or-order-enforced"], "description": "Arrested for SOPO breach."},
    )
    assert protect.status_code == 200
    closed = await d.http.post(f"/cases/{case}/close", json={"summary": "Disclosure made."})
    assert closed.json()["outcome"] == "disclosure"
    assert closed.json()["final_intelligence_report"] == f"FIR-{case}"
    assert await d.emitted() == [
        "disclosure-decided",
        "disclosure-delivered",
        "protective-action-recorded",
        "case-closed",
        "final-intelligence-report",
    ]
    letter = await d.http.get(f"/cases/{case}/non-disclosure-letter")
    assert letter.status_code == 409  # nothing written is ever produced for a disclosure


async def test_no_presumption_from_a_possible_match_or_another_partys_record(
    d: Disclosure,
) -> None:
    """2.4, 4.5, 5.5.3: read from the checks' stream, a Schedule 34A conviction of a possible
    match nobody settled, or of the applicant, does not make the presumption to disclose."""
    not_the_subject = [
        {**SCHEDULE_34A_CONVICTION, "outcome": "possible-match", "confidence": 0.7},
        {**SCHEDULE_34A_CONVICTION, "party": "applicant"},
    ]
    case = await arrive(d, route="concerns", results=not_the_subject)
    view = (await d.http.get(f"/cases/{case}")).json()
    assert view["presumption_to_disclose"] is False


async def test_a_decision_breaking_a_rule_is_refused_with_its_paragraph(d: Disclosure) -> None:
    case = await arrive(d, route="concerns", verified=False)
    refused = await d.http.post(f"/cases/{case}/decision", json=decision())
    assert refused.status_code == 422
    assert "5.2.8" in refused.json()["errors"][0]["rule"]
    assert await d.emitted() == []


async def test_a_disclosure_without_all_three_tests_is_refused(d: Disclosure) -> None:
    case = await arrive(d, route="concerns")
    two_tests = decision(tests=decision()["tests"][:2])
    refused = await d.http.post(f"/cases/{case}/decision", json=two_tests)
    assert refused.status_code == 422
    assert "5.6.14" in refused.json()["errors"][0]["rule"]
    assert await d.emitted() == []


async def test_a_delivery_for_a_case_not_decided_or_decided_no_is_refused(d: Disclosure) -> None:
    case = await arrive(d, route="concerns", recommend=False)
    early = await d.http.post(f"/cases/{case}/delivery", json=delivery())
    assert early.status_code == 409
    no = decision(
        disclose=False,
        tests=[],
        recipient=None,
        extent=None,
        content=None,
        subject_notification=None,
    )
    assert (await d.http.post(f"/cases/{case}/decision", json=no)).status_code == 200
    late = await d.http.post(f"/cases/{case}/delivery", json=delivery())
    assert late.status_code == 409
    assert "5.6.19" in late.json()["errors"][0]["rule"]


async def test_the_decision_maker_follows_the_forum_5_6_12(d: Disclosure) -> None:
    """5.6.12: the forum decides; a decision maker cannot disclose what it did not recommend,
    and goes against a recommendation to disclose only by naming the test not met (5.6.14)."""
    not_recommended = await arrive(d, route="concerns", recommend=False)
    refused = await d.http.post(f"/cases/{not_recommended}/decision", json=decision())
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "disclose"
    assert "5.6.12" in refused.json()["errors"][0]["rule"]

    recommended = await arrive(d, route="concerns")
    bare_no = decision(
        disclose=False, recipient=None, extent=None, content=None, subject_notification=None
    )
    refused = await d.http.post(f"/cases/{recommended}/decision", json=bare_no)
    assert refused.status_code == 422
    assert "5.6.14" in refused.json()["errors"][0]["rule"]
    assert await d.emitted() == []
    reasoned = [
        {**answer, "met": False, "rationale": "No contact since the order; no pressing need."}
        if answer["test"] == "pressing-need"
        else answer
        for answer in bare_no["tests"]
    ]
    accepted = await d.http.post(
        f"/cases/{recommended}/decision", json={**bare_no, "tests": reasoned}
    )
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "decided-no-disclosure"


async def test_a_refused_undertaking_without_a_decision_on_going_ahead_is_refused(
    d: Disclosure,
) -> None:
    """5.6.21: a refused undertaking is recorded with whether disclosure still went ahead;
    without it the delivery is a 422 naming the field and the paragraph, never a 500."""
    case = await arrive(d, route="concerns")
    assert (await d.http.post(f"/cases/{case}/decision", json=decision())).status_code == 200
    refused = await d.http.post(f"/cases/{case}/delivery", json=delivery(undertaking="refused"))
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "disclosed_despite_refusal"
    assert "5.6.21" in error["rule"]
    stray = await d.http.post(
        f"/cases/{case}/delivery", json=delivery(disclosed_despite_refusal=False)
    )
    assert stray.status_code == 422, stray.text
    assert stray.json()["errors"][0]["field"] == "disclosed_despite_refusal"
    assert await d.emitted() == ["disclosure-decided"]
    decided = await d.http.post(
        f"/cases/{case}/delivery",
        json=delivery(undertaking="refused", disclosed_despite_refusal=False),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["disclosed"] is False


async def test_no_concerns_is_told_by_visit_or_letter_and_closed(d: Disclosure) -> None:
    case = await arrive(d, route="no-concerns", findings=False)
    told = await d.http.post(f"/cases/{case}/non-disclosure", json={"method": "letter"})
    assert told.status_code == 200, told.text
    letter = await d.http.get(f"/cases/{case}/non-disclosure-letter")
    assert "does not mean that there is no risk" in letter.text
    assert "Dear Sarah Jones" in letter.text
    closed = await d.http.post(f"/cases/{case}/close", json={"summary": "No concerns."})
    assert closed.json()["outcome"] == "no-disclosure"


ELSEWHERE = {"lines": ["3 Mill Lane"], "town": "Rugby", "postcode": "CV21 2AA"}


async def test_a_no_concerns_letter_goes_where_the_subject_does_not_live_5_6_5(
    d: Disclosure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSODS_DISCLOSURE_NO_CONCERNS", "letter")
    case = await arrive(d, route="no-concerns", findings=False, subject_at=ELSEWHERE)
    shown = (await d.http.get(f"/cases/{case}")).json()
    assert shown["status"] == "closed"
    assert shown["no_concerns_letter_held"] is None
    assert "non-disclosure-communicated" in await d.emitted()


async def test_no_letter_to_a_home_the_subject_shares_an_officer_tells_the_applicant_5_6_5(
    d: Disclosure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSODS_DISCLOSURE_NO_CONCERNS", "letter")
    # The same home, written another way: the subject lives with the applicant (5.1.6).
    case = await arrive(
        d, route="no-concerns", findings=False, subject_at={"lines": ["14 priory road"]}
    )
    shown = (await d.http.get(f"/cases/{case}")).json()
    assert shown["status"] == "no-concerns"
    assert "5.6.5" in shown["no_concerns_letter_held"]
    assert "non-disclosure-communicated" not in await d.emitted()
    told = await d.http.post(f"/cases/{case}/non-disclosure", json={"method": "visit"})
    assert told.status_code == 200, told.text
    assert "non-disclosure-communicated" in await d.emitted()


async def test_a_case_closes_as_withdrawn_at_any_stage_but_not_half_done(d: Disclosure) -> None:
    case = await arrive(d, route="concerns")
    premature = await d.http.post(f"/cases/{case}/close", json={"summary": "?"})
    assert premature.status_code == 409
    withdrawn = await d.http.post(
        f"/cases/{case}/close", json={"summary": "Applicant withdrew.", "withdrawn": True}
    )
    assert withdrawn.json()["outcome"] == "withdrawn"
    assert (await d.http.post(f"/cases/{case}/close", json={"summary": "again"})).status_code == 409


async def test_another_forces_case_is_not_found(d: Disclosure, component: Build) -> None:
    case = await arrive(d, route="concerns")
    other = await component("disclosure", f"{d.tenant}x")
    app = create_app(
        HttpContext(f"{d.tenant}x", other.database, other.clock, issuer(f"{d.tenant}x"))
    )
    own = headers(f"{d.tenant}x")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=own) as h:
        assert (await h.get(f"/cases/{case}")).status_code == 404
        assert (await h.post(f"/cases/{case}/decision", json=decision())).status_code == 404


async def test_whether_the_subject_is_told_is_the_forums_decision_5_6_17(d: Disclosure) -> None:
    case = await arrive(d, route="concerns")  # the forum recommended, the subject not told
    told_anyway = decision(
        subject_notification={
            "inform_subject": True,
            "self_disclosure": False,
            "reason": "He should know who has been told.",
        }
    )
    refused = await d.http.post(f"/cases/{case}/decision", json=told_anyway)
    assert refused.status_code == 422
    [problem] = refused.json()["errors"]
    assert problem["field"] == "subject_notification.inform_subject"
    assert "5.6.17" in problem["rule"]
    assert (await d.http.post(f"/cases/{case}/decision", json=decision())).status_code == 200


async def test_a_case_of_concerns_not_disclosed_closes_only_once_the_applicant_is_met_5_6_15(
    d: Disclosure,
) -> None:
    case = await arrive(d, route="concerns", recommend=False)
    no = decision(
        disclose=False,
        tests=[],
        recipient=None,
        extent=None,
        content=None,
        subject_notification=None,
    )
    assert (await d.http.post(f"/cases/{case}/decision", json=no)).status_code == 200

    early = await d.http.post(f"/cases/{case}/close", json={"summary": "No disclosure."})
    assert early.status_code == 409
    assert "5.6.15" in early.json()["errors"][0]["rule"]
    told = await d.http.post(f"/cases/{case}/non-disclosure", json={"method": "visit"})
    assert told.status_code == 200
    closed = await d.http.post(f"/cases/{case}/close", json={"summary": "Concerns talked over."})
    assert closed.status_code == 200
    assert closed.json()["outcome"] == "no-disclosure"


async def test_a_subject_to_be_told_is_told_in_person_before_the_case_closes_5_6_25(
    d: Disclosure,
) -> None:
    case = await arrive(d, route="concerns", inform_subject=True)
    telling = {"inform_subject": True, "self_disclosure": False, "reason": "MAPPA manages him."}
    decided = await d.http.post(
        f"/cases/{case}/decision", json=decision(subject_notification=telling)
    )
    assert decided.status_code == 200, decided.text
    assert (await d.http.post(f"/cases/{case}/delivery", json=delivery())).status_code == 200

    early = await d.http.post(f"/cases/{case}/close", json={"summary": "Disclosure made."})
    assert early.status_code == 409
    assert "5.6.25" in early.json()["errors"][0]["rule"]
    by_letter = await d.http.post(
        f"/cases/{case}/subject-told", json={"in_person": False, "scheme_information_given": True}
    )
    assert by_letter.status_code == 422
    told = await d.http.post(
        f"/cases/{case}/subject-told", json={"in_person": True, "scheme_information_given": True}
    )
    assert told.status_code == 200
    assert told.json()["subject_told_at"] is not None
    closed = await d.http.post(f"/cases/{case}/close", json={"summary": "Disclosure made."})
    assert closed.status_code == 200


async def test_a_disclosure_records_the_likelihood_of_contact_and_data_protection_4_7(
    d: Disclosure,
) -> None:
    case = await arrive(d, route="concerns")
    unweighed = decision(likelihood_of_contact=None)
    refused = await d.http.post(f"/cases/{case}/decision", json=unweighed)
    assert refused.status_code == 422
    [problem] = refused.json()["errors"]
    assert (problem["field"], "4.7" in problem["rule"]) == ("likelihood_of_contact", True)
    careless = await d.http.post(f"/cases/{case}/decision", json=decision(data_protection="ok"))
    assert careless.json()["errors"][0]["field"] == "data_protection"
    assert await d.emitted() == []
    assert (await d.http.post(f"/cases/{case}/decision", json=decision())).status_code == 200
