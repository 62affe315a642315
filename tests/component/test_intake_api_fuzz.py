"""Hundreds of generated requests against the intake API: refusals, never a server error."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from services.intake.api import create_app
from services.intake.app import definition
from services.runtime.clock import FrozenClock
from services.runtime.migrations import RUNTIME_MIGRATIONS, migrate, role_name
from services.runtime.service import HttpContext, app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, open_database
from tests.component.test_intake_api import face_to_face, initial_contact
from tests.support.schemas import login
from tests.support.staff import headers, issuer

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """A valid body with some fields dropped or replaced by arbitrary JSON, or junk outright."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    body = dict(base)
    for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=4, unique=True)):
        if draw(st.booleans()):
            body.pop(key)
        else:
            body[key] = draw(JSON)
    return body


@dataclass
class Request:
    method: str
    path: str
    body: Any


def requests(reference: str) -> st.SearchStrategy[Request]:
    refs = st.sampled_from([reference, "warwickshire-2026-999999", "nonsense", "x" * 90])
    return st.one_of(
        st.builds(Request, st.just("POST"), st.just("/enquiries"), mutated(initial_contact())),
        st.builds(
            Request,
            st.just("POST"),
            refs.map(lambda ref: f"/cases/{ref}/application"),
            mutated(face_to_face()),
        ),
        st.builds(
            Request,
            st.just("POST"),
            refs.map(lambda ref: f"/cases/{ref}/information-pack"),
            mutated({"format": "paper"}),
        ),
        st.builds(Request, st.just("GET"), refs.map(lambda ref: f"/cases/{ref}"), st.none()),
    )


@dataclass
class Opened:
    database: Database
    client: httpx.AsyncClient


async def open_api(settings_: Settings) -> Opened:
    await migrate(
        owner_dsn=settings_.database_url,
        schema="intake",
        role=role_name("intake"),
        migrations=[("runtime", RUNTIME_MIGRATIONS), ("intake", definition.migrations)],
    )
    await login(settings_, "intake")
    database = await open_database(dsn=app_dsn(settings_, "intake"), schema="intake", size=3)
    app = create_app(
        HttpContext(settings_.tenant, database, FrozenClock(), issuer(settings_.tenant))
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://intake",
        headers=headers(settings_.tenant),
    )
    return Opened(database, client)


async def send(opened: Opened, request: Request) -> int:
    answer = await opened.client.request(request.method, request.path, json=request.body)
    return answer.status_code


async def close(opened: Opened) -> None:
    await opened.client.aclose()
    await opened.database.pool.close()


def test_generated_requests_never_get_a_server_error(settings_for: Any, tenant: str) -> None:
    portal: BlockingPortal
    with start_blocking_portal() as portal:
        opened = portal.call(open_api, settings_for(tenant))
        try:
            created = portal.call(send, opened, Request("POST", "/enquiries", initial_contact()))
            assert created == 201
            reference = f"{tenant}-2026-000001"
            statuses: list[int] = []

            @settings(
                max_examples=300,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            )
            @given(request=requests(reference))
            def never_a_server_error(request: Request) -> None:
                status = portal.call(send, opened, request)
                statuses.append(status)
                assert status < 500, (request.method, request.path)

            never_a_server_error()
            assert len(statuses) >= 300
            assert {422, 404} <= set(statuses)
        finally:
            portal.call(close, opened)


def published_bodies(openapi: dict[str, Any], path: str) -> st.SearchStrategy[Any]:
    """Request bodies of one POST operation, drawn from the API's published OpenAPI alone."""
    body = openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    schema = {**copy.deepcopy(body["schema"]), "components": copy.deepcopy(openapi["components"])}
    return from_schema(schema, custom_formats={"uuid": st.uuids().map(str)})


def test_requests_built_from_the_published_openapi_are_accepted_or_refused_by_a_rule(
    settings_for: Any, tenant: str
) -> None:
    portal: BlockingPortal
    with start_blocking_portal() as portal:
        opened = portal.call(open_api, settings_for(tenant))
        try:
            openapi = portal.call(lambda: opened.client.get("/openapi.json")).json()
            created = portal.call(send, opened, Request("POST", "/enquiries", initial_contact()))
            assert created == 201
            case = f"/cases/{tenant}-2026-000001/application"
            bodies = st.one_of(
                published_bodies(openapi, "/enquiries").map(lambda b: ("/enquiries", b)),
                published_bodies(openapi, "/cases/{case_reference}/application").map(
                    lambda b: (case, b)
                ),
            )
            seen: list[int] = []

            @settings(
                max_examples=120,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(request=bodies)
            def accepted_or_refused_by_a_rule(request: tuple[str, Any]) -> None:
                path, body = request
                answer = portal.call(lambda: opened.client.post(path, json=body))
                seen.append(answer.status_code)
                assert answer.status_code in {200, 201, 409, 422}, (path, answer.text)
                if answer.status_code in {409, 422}:
                    problems = answer.json()["errors"]
                    assert problems, answer.text
                    assert all(p["field"] and p["rule"] for p in problems), answer.text

            accepted_or_refused_by_a_rule()
            assert 422 in seen  # the published schema allows what a rule refuses, and it says so
        finally:
            portal.call(close, opened)
