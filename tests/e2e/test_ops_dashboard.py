"""The dashboard in a real headless browser (Debian's Chromium through playwright-core)."""

from __future__ import annotations

import asyncio
import os
import socket
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from services.ops import browser
from services.ops.case_studies import case_study, open_cases, publish
from tests.e2e.conftest import Start
from tests.e2e.test_ops_streams import START, owner_count, send_bad, wait_until, writers
from tests.support.stack import FoundStack


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_dashboard_shows_cases_clocks_escalations_and_dead_letters(
    stack: FoundStack, tenant: str, start_service: Start, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    ops = start_service("ops", CSODS_HTTP_PORT=str(port))
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
    metrics = urllib.request.urlopen(f"{url}metrics", timeout=30).read().decode()
    assert (
        f'csods_ops_deadline_breaches_total{{deadline="risk-assessment",force="{tenant}"}} 1.0'
        in metrics
    )
    assert f'csods_ops_escalations_open{{force="{tenant}"}} 1.0' in metrics

    screenshot = tmp_path / "ops-dashboard.png"
    shown = browser.look(url, screenshot)
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
