"""The dashboard in a real headless browser (Debian's Chromium through playwright-core),
signed in through the force's own issuer; and refused to anyone else."""

from __future__ import annotations

import asyncio
import os
import socket
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from services.ops import browser
from services.ops.case_studies import case_study, open_cases, publish
from tests.conftest import Provision
from tests.e2e.conftest import Start
from tests.e2e.test_ops_streams import START, owner_count, send_bad, wait_until, writers
from tests.support.stack import FoundStack
from tests.support.staff import realms
from tests.support.topics import deployment_of, new_force


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answer(url: str, **headers: str) -> tuple[int, str]:
    """What a plain HTTP client without a token gets: the status, and where it is sent."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_: object, **__: object) -> None:
            return None  # report the redirect, do not follow it

    try:
        got = urllib.request.build_opener(Stay).open(
            urllib.request.Request(url, headers=headers), timeout=30
        )
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get("Location", "")
    return got.status, ""


def test_the_dashboard_shows_cases_clocks_escalations_and_dead_letters(
    stack: FoundStack,
    tenant: str,
    start_service: Start,
    start_for: Start,
    provision: Provision,
    database_url: str,
    tmp_path: Path,
) -> None:
    port, metrics_port, theirs_port = free_port(), free_port(), free_port()
    ops = start_service("ops", CSODS_HTTP_PORT=str(port), CSODS_METRICS_PORT=str(metrics_port))
    neighbour = new_force()
    provision(deployment_of(neighbour))
    theirs = start_for("ops", neighbour, CSODS_HTTP_PORT=str(theirs_port))
    events = [
        event for n in (1, 2, 3, 4) for event in case_study(tenant, n, start=START, case_number=n)
    ]
    events += open_cases(tenant, now=datetime.now(UTC), first_number=10)
    asyncio.run(publish(writers(stack, tenant), events))
    asyncio.run(send_bad(writers(stack, tenant)(events[0].writer), events[0]))
    history = "SELECT count(*) FROM ops.case_history WHERE tenant = $1"
    wait_until(lambda: asyncio.run(owner_count(database_url, tenant, history)) == len(events) + 2)
    ops.wait_for_event("deadline_breached")

    url = f"http://127.0.0.1:{port}/"
    theirs.wait_for_event("service_ready", timeout=90)
    # Without signing in: the page sends a browser to sign in, everything else is 401.
    assert answer(url, Accept="text/html") == (303, "/sign-in")
    case = f"{tenant}-{datetime.now(UTC).year}-000012"
    for path in (
        "",
        f"charts/{tenant}.png",
        f"forces/{tenant}/board",
        f"forces/{tenant}/cases/{case}",
    ):
        assert answer(url + path)[0] == 401, path
    assert answer(url + "metrics")[0] == 404  # metrics live on their own port
    metrics = (
        urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30)
        .read()
        .decode()
    )
    assert case not in metrics  # no case in any label
    assert (
        f'csods_ops_deadline_breaches_total{{deadline="risk-assessment",force="{tenant}"}} 1.0'
        in metrics
    )
    assert f'csods_ops_escalations_open{{force="{tenant}"}} 1.0' in metrics

    screenshot = tmp_path / "ops-dashboard.png"
    password = realms().password(tenant, "ops")
    shown = browser.look(
        url, screenshot, sign_in=("ops", password), then=f"http://127.0.0.1:{theirs_port}/"
    )
    assert shown["signedIn"]  # through the force's issuer's own form
    # The same browser, signed in to this force, is refused the neighbour's dashboard.
    assert shown["then"]["status"] == 403, shown["then"]
    assert "issued for another force" in shown["then"]["text"]
    texts = shown["texts"]
    assert shown["refresh"] == "10"
    # Three open cases: two at initial contact (one escalated), one after its application.
    assert texts[f"stage-{tenant}-initial-contact"] == "2"
    assert texts[f"stage-{tenant}-face-to-face"] == "1"
    assert texts[f"ended-{tenant}"] == "4"  # the four case studies, closed
    assert f"escalation-{tenant}-{datetime.now(UTC).year}-000012" in texts
    assert f"breach-{tenant}-{datetime.now(UTC).year}-000010-risk-assessment" in texts
    assert texts[f"dead-{tenant}-ops"] == "2"  # the malformed and the unknown event
    assert texts[f"chart-{tenant}"] == "loaded"
    assert screenshot.stat().st_size > 10_000
    keep = os.environ.get("CSODS_DASHBOARD_SCREENSHOT")  # e.g. docs/ops-dashboard.png
    if keep:
        Path(keep).write_bytes(screenshot.read_bytes())
