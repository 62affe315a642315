"""The intake API on a real PostgreSQL: stages 1 to 3, refusals by field and rule, force walls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from schemas.examples import example_payload
from schemas.intake import FaceToFaceDetails, InitialContactDetails
from services.intake.api import create_app
from services.runtime.service import HttpContext
from tests.component.conftest import Component
from tests.support.staff import headers, issuer

Build = Callable[..., Awaitable[Component]]
Client = Callable[[str], Awaitable[httpx.AsyncClient]]


def initial_contact(**changes: Any) -> dict[str, Any]:
    payload = example_payload(InitialContactDetails)
    payload["contact"] = {**payload["contact"], "not_to_contact": "Never the home landline"}
    payload["applicant"] = example_payload(FaceToFaceDetails)["applicant"]
    return {**payload, **changes}


def face_to_face(**changes: Any) -> dict[str, Any]:
    payload = example_payload(FaceToFaceDetails)
    payload["contact"] = {**payload["contact"], "not_to_contact": "none"}
    return {**payload, **changes}


@pytest.fixture
async def client(component: Build) -> AsyncIterator[Client]:
    opened: list[httpx.AsyncClient] = []

    async def make(tenant: str) -> httpx.AsyncClient:
        built = await component("intake", tenant)
        app = create_app(HttpContext(tenant, built.database, built.clock, issuer(tenant)))
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://intake",
            headers=headers(tenant),
        )
        opened.append(http)
        return http

    yield make
    for http in opened:
        await http.aclose()


async def outbox_types(component: Build, tenant: str) -> list[str]:
    built = await component("intake", tenant)
    async with built.database.transaction(tenant) as tx:
        rows = await tx.conn.fetch("SELECT header_names, header_values FROM outbox ORDER BY id")
    return [
        dict(zip(row["header_names"], row["header_values"], strict=True))["ce_type"].decode()
        for row in rows
    ]


async def test_an_enquiry_goes_from_contact_to_information_pack(
    client: Client, component: Build, tenant: str
) -> None:
    http = await client(tenant)
    created = await http.post("/enquiries", json=initial_contact())
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["status"] == "registered"
    assert case["deadlines"]["stage1_due_at"] is not None
    assert case["deadlines"]["face_to_face_due_at"] is not None
    reference = case["case_reference"]

    seen = await http.post(f"/cases/{reference}/application", json=face_to_face())
    assert seen.status_code == 200, seen.text
    assert seen.json()["disclosure_possible"] is True

    pack = await http.post(f"/cases/{reference}/information-pack", json={"format": "paper"})
    assert pack.status_code == 200, pack.text
    assert pack.json()["status"] == "information-pack-given"

    assert await outbox_types(component, tenant) == [
        "csods.intake.enquiry-registered.v1",
        "csods.checks.request-checks.v1",
        "csods.intake.application-submitted.v1",
        "csods.checks.request-checks.v1",
        "csods.intake.information-pack-given.v1",
    ]


async def test_a_risk_answered_yes_raises_an_escalation_at_once(
    client: Client, component: Build, tenant: str
) -> None:
    http = await client(tenant)
    risky = initial_contact(
        immediate_risk=[{"question": "child-has-disclosed-harm", "answer": True}]
    )
    case = (await http.post("/enquiries", json=risky)).json()
    assert case["safeguarding_escalations"] == 1
    assert "csods.safeguarding.escalation-raised.v1" in await outbox_types(component, tenant)


async def test_a_redirected_enquiry_has_no_deadlines_and_no_checks(
    client: Client, component: Build, tenant: str
) -> None:
    http = await client(tenant)
    redirected = initial_contact(
        redirect_to="criminal-records-check", redirect_reason="Employer asked for a DBS check"
    )
    case = (await http.post("/enquiries", json=redirected)).json()
    assert case["route"] == "redirect"
    assert set(case["deadlines"].values()) == {None}
    assert await outbox_types(component, tenant) == ["csods.intake.enquiry-redirected.v1"]


async def test_invalid_requests_get_422_naming_field_and_rule(client: Client, tenant: str) -> None:
    http = await client(tenant)
    no_contact = await http.post("/enquiries", json=initial_contact(contact=None))
    assert no_contact.status_code == 422
    assert no_contact.json()["errors"][0]["field"] == "contact"
    assert "5.1.6" in no_contact.json()["errors"][0]["rule"]

    bad_channel = await http.post("/enquiries", json=initial_contact(channel="pigeon"))
    assert bad_channel.status_code == 422
    assert bad_channel.json()["errors"][0]["field"] == "channel"
    assert "pigeon" not in bad_channel.text  # the value sent is never echoed

    unknown = await http.post("/enquiries", json=initial_contact(favourite_colour="blue"))
    assert unknown.status_code == 422


async def test_another_forces_case_is_not_found(client: Client, tenant: str) -> None:
    ours, theirs = await client(tenant), await client(f"{tenant}b")
    reference = (await ours.post("/enquiries", json=initial_contact())).json()["case_reference"]
    assert (await ours.get(f"/cases/{reference}")).status_code == 200
    for answer in (
        await theirs.get(f"/cases/{reference}"),
        await theirs.post(f"/cases/{reference}/application", json=face_to_face()),
    ):
        assert answer.status_code == 404
        assert reference not in answer.text


async def test_steps_out_of_order_are_refused_and_nothing_is_half_written(
    client: Client, component: Build, tenant: str
) -> None:
    http = await client(tenant)
    reference = (await http.post("/enquiries", json=initial_contact())).json()["case_reference"]
    before = await outbox_types(component, tenant)
    early = await http.post(f"/cases/{reference}/information-pack", json={"format": "online"})
    assert early.status_code == 409
    unwarned = await http.post(
        f"/cases/{reference}/application", json=face_to_face(warnings_given=[])
    )
    assert unwarned.status_code == 422
    assert unwarned.json()["errors"][0]["field"] == "warnings_given"
    assert await outbox_types(component, tenant) == before
    assert (await http.get(f"/cases/{reference}")).json()["status"] == "registered"


async def test_the_same_submission_twice_is_one_case(client: Client, tenant: str) -> None:
    http = await client(tenant)
    body = initial_contact(submission_id="portal-0123456789")
    first = await http.post("/enquiries", json=body)
    second = await http.post("/enquiries", json=body)
    assert first.status_code == 201
    assert first.json()["case_reference"] == second.json()["case_reference"]


async def test_the_intake_api_has_no_route_that_returns_check_results(
    client: Client, tenant: str
) -> None:
    http = await client(tenant)
    document = (await http.get("/openapi.json")).json()
    text = str(document).lower()
    for word in ("finding", "check_result", "checkresult", "results", "match", "conviction"):
        assert word not in text, word
    assert all("check" not in path for path in document["paths"])
