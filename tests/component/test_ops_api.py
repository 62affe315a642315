"""The ops API: moving a deadline clock takes a staff token of the case's own force (5.4.8)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest

from schemas.stages import Deadline
from services.ops.api import create_dashboard
from services.ops.case_studies import open_cases
from services.runtime.audit import Action, entries
from services.runtime.reads import PURPOSE_HEADER
from services.runtime.settings import Settings
from services.runtime.staff import Role
from tests.component.test_ops_read_model import START, Ops, ops
from tests.support.staff import ca_file, headers, issuer

__all__ = ["ops"]  # the read model's fixture, used by name


@pytest.fixture
async def dashboard(
    ops: Ops, settings_for: Callable[..., Settings], tenant: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(tenant, staff_issuer=issuer(tenant).url, staff_ca_file=ca_file())
    app = create_dashboard(
        force=tenant,
        database=ops.database,
        clock=ops.clock,
        settings=settings,
        issuer=issuer(tenant),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as http:
        yield http


def deviation() -> dict[str, str]:
    return {
        "deadline": Deadline.RISK_ASSESSMENT.value,
        "new_due_at": (START + timedelta(days=20)).isoformat(),
        "justification": "Awaiting a foreign enquiry.",
    }


async def test_a_deviation_needs_the_teams_token_for_the_cases_force(
    ops: Ops, dashboard: httpx.AsyncClient, tenant: str
) -> None:
    await ops.feed(open_cases(tenant, now=START, first_number=1))
    case = open_cases(tenant, now=START, first_number=1)[0].envelope.subject
    path = f"/forces/{tenant}/cases/{case}/deviations"
    assert (await dashboard.post(path, json=deviation())).status_code == 401
    other = headers(f"{tenant}x", Role.PUBLIC_PROTECTION)
    assert (await dashboard.post(path, json=deviation(), headers=other)).status_code == 403
    contact = headers(tenant, Role.INITIAL_CONTACT)
    assert (await dashboard.post(path, json=deviation(), headers=contact)).status_code == 403
    team = headers(tenant, Role.PUBLIC_PROTECTION)
    moved = await dashboard.post(path, json=deviation(), headers=team)
    assert moved.status_code == 201, moved.text
    assert "csods.ops.timescale-deviation-recorded.v1" in await ops.outbox_types()


async def test_every_read_needs_a_watcher_of_the_forces_own(
    ops: Ops, dashboard: httpx.AsyncClient, tenant: str
) -> None:
    await ops.feed(open_cases(tenant, now=START, first_number=1))
    case = open_cases(tenant, now=START, first_number=1)[0].envelope.subject
    reads = ["/", f"/charts/{tenant}.png", f"/forces/{tenant}/board"]
    reads.append(f"/forces/{tenant}/cases/{case}")
    for path in reads:
        assert (await dashboard.get(path)).status_code == 401, path
        contact = headers(tenant, Role.INITIAL_CONTACT)
        assert (await dashboard.get(path, headers=contact)).status_code == 403, path
        theirs = headers(f"{tenant}x", Role.OPS)
        assert (await dashboard.get(path, headers=theirs)).status_code == 403, path
        for role in (Role.OPS, Role.PUBLIC_PROTECTION):
            seen = await dashboard.get(path, headers=headers(tenant, role))
            assert seen.status_code == 200, (path, role, seen.text)
    # A page asked for by a browser without a token is sent to sign in through the issuer.
    page = await dashboard.get("/", headers={"Accept": "text/html"})
    assert (page.status_code, page.headers["location"]) == (303, "/sign-in")
    sent = await dashboard.get("/sign-in")
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"{issuer(tenant).url}/authorize?")


async def test_a_case_history_read_is_audited_with_who_and_why(
    ops: Ops, dashboard: httpx.AsyncClient, tenant: str
) -> None:
    await ops.feed(open_cases(tenant, now=START, first_number=1))
    case = open_cases(tenant, now=START, first_number=1)[0].envelope.subject
    path = f"/forces/{tenant}/cases/{case}"
    team = headers(tenant, Role.OPS, staff="ops 7")
    unexplained = {k: v for k, v in team.items() if k != PURPOSE_HEADER}
    refused = await dashboard.get(path, headers=unexplained)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == f"header.{PURPOSE_HEADER}"
    asked = await dashboard.get(path, headers={**team, PURPOSE_HEADER: "breach review"})
    assert asked.status_code == 200
    async with ops.database.transaction(tenant) as tx:
        logged = await entries(tx.conn, tenant=tenant, case_ref=case)
    reads = [entry for entry in logged if entry.action is Action.READ]
    assert [(e.actor, e.recipients, e.reason) for e in reads] == [
        ("ops/ops 7", ("ops 7",), "GET /forces/{force}/cases/{case_reference}: breach review")
    ]
