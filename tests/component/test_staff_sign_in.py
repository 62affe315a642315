"""The staff APIs open only to a current staff token of their own force, with the role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from services.intake.api import create_app
from services.runtime.audit import entries
from services.runtime.service import HttpContext
from services.runtime.staff import Issuer, Role
from tests.component.conftest import Component
from tests.component.test_intake_api import initial_contact
from tests.support.staff import headers, issuer, realm

Build = Callable[..., Awaitable[Component]]


@pytest.fixture
async def intake(component: Build, tenant: str) -> AsyncIterator[httpx.AsyncClient]:
    built = await component("intake", tenant)
    app = create_app(HttpContext(tenant, built.database, built.clock, issuer(tenant)))
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
    assert (await intake.get("/openapi.json")).status_code == 200  # the contract stays open


def claims(tenant: str, **changes: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    found: dict[str, object] = {
        "iss": realm(tenant).issuer,
        "sub": "PC 1",
        "aud": "csods",
        "iat": now,
        "exp": now + 600,
        "force": tenant,
        "roles": [Role.PUBLIC_PROTECTION.value],
    }
    return {**found, **changes}


async def refusal(intake: httpx.AsyncClient, token: str) -> tuple[int, dict[str, str]]:
    refused = await intake.post("/enquiries", json=initial_contact(), headers=bearer(token))
    return refused.status_code, refused.json()["errors"][0]


async def test_a_token_signed_with_a_key_the_issuer_does_not_publish_is_refused(
    intake: httpx.AsyncClient, tenant: str
) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    kid = {"kid": realm(tenant).kid}  # even naming the real key's id
    forged = jwt.encode(claims(tenant), stranger, algorithm="ES256", headers=kid)
    status, error = await refusal(intake, forged)
    assert (status, error["field"]) == (401, "token")
    assert "signature" in error["rule"]


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
async def test_a_token_without_an_asymmetric_signature_is_refused(
    intake: httpx.AsyncClient, tenant: str, algorithm: str
) -> None:
    # HS256 keyed with the public key, the classic confusion, and an unsigned one.
    public = realm(tenant).jwks()["keys"][0]["x"]
    unsigned = (
        jwt.encode(claims(tenant), public, algorithm="HS256")
        if algorithm == "HS256"
        else jwt.encode(claims(tenant), "", algorithm="none")
    )
    status, error = await refusal(intake, unsigned)
    assert (status, error["rule"]) == (401, "not signed with a published asymmetric key")


async def test_an_expired_token_is_refused(intake: httpx.AsyncClient, tenant: str) -> None:
    then = datetime.now(UTC) - timedelta(hours=13)
    expired = realm(tenant).mint("PC 1", [Role.PUBLIC_PROTECTION.value], now=then)
    status, error = await refusal(intake, expired)
    assert status == 401
    assert "expired" in error["rule"]


async def test_a_token_for_another_application_is_refused(
    intake: httpx.AsyncClient, tenant: str
) -> None:
    now = datetime.now(UTC)
    theirs = realm(tenant).mint("PC 1", [Role.PUBLIC_PROTECTION.value], now=now, audience="hr")
    status, error = await refusal(intake, theirs)
    assert (status, error["rule"]) == (401, "issued for another application")


async def test_an_issuer_that_cannot_be_reached_is_a_503_not_a_500(
    component: Build, tenant: str
) -> None:
    built = await component("intake", tenant)
    gone = Issuer("https://127.0.0.1:9/realms/" + tenant)  # nothing listens on port 9
    app = create_app(HttpContext(tenant, built.database, built.clock, gone))
    transport = httpx.ASGITransport(app=app)
    token = realm(tenant).mint("PC 1", [Role.PUBLIC_PROTECTION.value], now=datetime.now(UTC))
    forged = jwt.encode(
        {**jwt.decode(token, options={"verify_signature": False}), "iss": gone.url},
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        refused = await http.post("/enquiries", json=initial_contact(), headers=bearer(forged))
    assert refused.status_code == 503
    assert "cannot be reached" in refused.json()["errors"][0]["rule"]


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


async def test_without_a_configured_issuer_every_staff_route_is_refused(
    component: Build, tenant: str
) -> None:
    built = await component("intake", tenant)
    app = create_app(HttpContext(tenant, built.database, built.clock))  # no issuer
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        refused = await http.post("/enquiries", json=initial_contact(), headers=headers(tenant))
    assert refused.status_code == 401
    assert "no issuer is configured" in refused.json()["errors"][0]["rule"]


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
