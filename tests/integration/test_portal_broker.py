"""The public form on the real broker: an application sent twice is one case at intake.

The form publishes as the force's portal principal through its one kept producer; the
force's intake runs as its own process, reads its inbox, and registers the enquiry once,
however many times the applicant pressed Send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from schemas import topics
from schemas.intake import EnquiryRegisteredV1
from services.portal.app import create_app
from services.portal.publisher import KafkaPublisher
from services.runtime.clock import SystemClock
from services.runtime.supervisor import ServiceProcess
from tests.component.test_portal import BASE, answers, open_form, send
from tests.support.stack import FoundStack


@pytest.fixture
def intake(
    stack: FoundStack, database_url: str, tenant: str, tmp_path: Path
) -> Iterator[ServiceProcess]:
    """The force's intake service, as its own process on the session's stack."""
    process = ServiceProcess(
        "intake",
        tenant,
        tmp_path / "intake.log",
        {
            **stack.client_env(),
            "CSODS_DATABASE_URL": database_url,
            "CSODS_OUTBOX_POLL_SECONDS": "0.2",
            "CSODS_RETRY_BACKOFF_SECONDS": "0.05",
        },
    )
    process.start()
    try:
        process.wait_for_event("service_ready", timeout=90)
        yield process
    finally:
        process.stop()


async def enquiries(database_url: str, tenant: str) -> list[asyncpg.Record]:
    """The force's enquiries, read as the schema owner (outside the service)."""
    conn = await asyncpg.connect(database_url)
    try:
        return list(
            await conn.fetch(
                "SELECT case_reference, submission_id, channel FROM intake.enquiries"
                " WHERE tenant = $1",
                tenant,
            )
        )
    finally:
        await conn.close()


async def registered(stack: FoundStack, tenant: str, seconds: float) -> list[EnquiryRegisteredV1]:
    """Every enquiry-registered event on the force's stream, read for `seconds`."""
    consumer = AIOKafkaConsumer(
        topics.stream(tenant, "intake", "enquiry-registered"),
        **stack.principal_access(tenant, "ops").aiokafka(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[EnquiryRegisteredV1] = []
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                found += [EnquiryRegisteredV1.model_validate_json(r.value) for r in records]
    finally:
        await consumer.stop()
    return found


async def test_an_application_sent_twice_through_the_broker_is_one_case_at_intake(
    stack: FoundStack, tenant: str, intake: ServiceProcess, database_url: str, tmp_path: Path
) -> None:
    publisher = KafkaPublisher(
        stack.principal_access(tenant, "portal"),
        force=tenant,
        timeout_seconds=30,
        startup_wait_seconds=30,
    )
    app = create_app(force=tenant, publisher=publisher, assets_folder=tmp_path, clock=SystemClock())
    async with (
        app.router.lifespan_context(app),  # the producer, started once and kept
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as browser,
    ):
        hidden = await open_form(browser)
        first = await send(browser, hidden, answers())
        second = await send(browser, hidden, answers())  # pressed again
        assert (await browser.get("/health/ready")).status_code == 200
    assert first.status_code == second.status_code == 303

    # Intake read both records, and registered one case.
    await asyncio.to_thread(intake.wait_for_event, "message_applied", count=2, timeout=60)
    recorded = [e for e in intake.events() if e.get("event") == "initial_contact_recorded"]
    assert len(recorded) == 1
    rows = await enquiries(database_url, tenant)
    assert [(row["submission_id"], row["channel"]) for row in rows] == [
        (hidden["submission_id"], "online-portal")
    ]
    events = await registered(stack, tenant, seconds=3.0)
    assert [event.submission_id for event in events] == [hidden["submission_id"]]
    assert events[0].case_reference == rows[0]["case_reference"]
    assert events[0].subject is not None
    assert events[0].subject.names[0].surname == "Prendergast"
