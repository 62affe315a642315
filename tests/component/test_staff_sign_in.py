"""The staff APIs open only to a current staff token of their own force, with the role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.intake.api import create_app
from services.runtime.audit import entries
from services.runtime.service import HttpContext
from services.runtime.staff import Role, issue
from tests.component.conftest import Component
from tests.component.test_intake_api import initial_contact
from tests.support.staff import SECRET, headers

Build = Callable[..., Awaitable[Component]]


@pytest.fixture
async def intake(component: Build, tenant: str) -> AsyncIterator[httpx.AsyncClient]:
    built = await component("intake", tenant)
    app = create_app(HttpContext(tenant, built.database, built.clock, SECRET))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_request_without_a_token_is_refused_and_asked_to_sign_in(
    intake: httpx.AsyncClient,
) -> None:
    refused = await intake.post("/enquiries", json=initial_contact())
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["errors"][0]["field"] == "authorization"
    assert (await intake.get("/health")).status_code == 200  # health stays open


async def test_a_token_signed_with_another_secret_is_refused(
    intake: httpx.AsyncClient, tenant: str
) -> None:
    forged = issue(
        "another-deployment-secret-of-at-least-32-bytes",
        staff="PC 1",
        force=tenant,
        roles=[Role.PUBLIC_PROTECTION],
        now=datetime.now(UTC),
    )
    refused = await intake.post("/enquiries", json=initial_contact(), headers=bearer(forged))
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["field"] == "token"


async def test_an_expired_token_is_refused(intake: httpx.AsyncClient, tenant: str) -> None:
    expired = issue(
        SECRET,
        staff="PC 1",
        force=tenant,
        roles=[Role.PUBLIC_PROTECTION],
        now=datetime.now(UTC) - timedelta(hours=13),
    )
    refused = await intake.post("/enquiries", json=initial_contact(), headers=bearer(expired))
    assert refused.status_code == 401
    assert "expired" in refused.json()["errors"][0]["rule"]


async def test_another_forces_token_opens_nothing(intake: httpx.AsyncClient, tenant: str) -> None:
    theirs = headers(f"{tenant}x")
    refused = await intake.post("/enquiries", json=initial_contact(), headers=theirs)
    assert refused.status_code == 403
    assert refused.json()["errors"][0] == {
        "field": "token",
        "rule": f"issued for another force, not {tenant}",
    }


async def test_a_role_the_route_does_not_allow_is_refused(
    intake: httpx.AsyncClient, tenant: str
) -> None:
    contact_staff = headers(tenant, Role.INITIAL_CONTACT)
    created = await intake.post("/enquiries", json=initial_contact(), headers=contact_staff)
    assert created.status_code == 201, created.text
    case = created.json()["case_reference"]
    pack = {"format": "online"}
    refused = await intake.post(f"/cases/{case}/information-pack", json=pack, headers=contact_staff)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "role"
    assert (await intake.get(f"/cases/{case}", headers=contact_staff)).status_code == 200


async def test_without_a_configured_secret_every_staff_route_is_refused(
    component: Build, tenant: str
) -> None:
    built = await component("intake", tenant)
    app = create_app(HttpContext(tenant, built.database, built.clock))  # no secret
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        refused = await http.post("/enquiries", json=initial_contact(), headers=headers(tenant))
    assert refused.status_code == 401
    assert "not configured" in refused.json()["errors"][0]["rule"]


async def test_the_audit_log_names_the_member_of_staff(
    intake: httpx.AsyncClient, component: Build, tenant: str
) -> None:
    sergeant = headers(tenant, Role.PUBLIC_PROTECTION, staff="DS 1234")
    created = await intake.post("/enquiries", json=initial_contact(), headers=sergeant)
    assert created.status_code == 201, created.text
    built = await component("intake", tenant)
    async with built.database.transaction(tenant) as tx:
        logged = await entries(tx.conn, tenant=tenant, case_ref=created.json()["case_reference"])
    assert logged
    assert all(entry.actor.endswith("/DS 1234") for entry in logged)
