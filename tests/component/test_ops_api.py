"""The ops API: moving a deadline clock takes a staff token of the case's own force (5.4.8)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest

from schemas.stages import Deadline
from services.ops.api import create_dashboard
from services.ops.case_studies import open_cases
from services.runtime.settings import Settings
from services.runtime.staff import Role
from tests.component.test_ops_read_model import START, Ops, ops
from tests.support.staff import SECRET, headers

__all__ = ["ops"]  # the read model's fixture, used by name


@pytest.fixture
async def dashboard(
    ops: Ops, settings_for: Callable[..., Settings], tenant: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(tenant, staff_token_secret=SECRET)
    app = create_dashboard(
        forces=[tenant], database=ops.database, clock=ops.clock, settings=settings
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
    assert (await dashboard.get(f"/forces/{tenant}/board")).status_code == 200  # reads stay open
