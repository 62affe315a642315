"""The intake process serves its HTTP API and its subscribers at once; events reach the broker."""

from __future__ import annotations

import asyncio
import socket

import httpx

from schemas import topics
from schemas.intake import InformationPackGivenV1
from services import journey
from tests.component.test_intake_api import face_to_face, initial_contact
from tests.e2e.conftest import Start
from tests.support.stack import FoundStack
from tests.support.staff import headers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_enquiry_from_contact_to_information_pack_over_http(
    stack: FoundStack, tenant: str, start_service: Start
) -> None:
    port, metrics_port = free_port(), free_port()
    intake = start_service(
        "intake", CSODS_HTTP_PORT=str(port), CSODS_METRICS_PORT=str(metrics_port)
    )
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=10, headers=headers(tenant)) as http:
        # Health needs no token, on the API's port and the metrics port alike.
        for where in (base, f"http://127.0.0.1:{metrics_port}"):
            live = httpx.get(f"{where}/health/live", timeout=10)
            assert live.json() == {"status": "live", "service": "intake", "tenant": tenant}
            ready = httpx.get(f"{where}/health/ready", timeout=10)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
        assert "/enquiries" in http.get("/openapi.json").json()["paths"]
        case = http.post("/enquiries", json=initial_contact())
        assert case.status_code == 201, case.text
        reference = case.json()["case_reference"]
        assert http.post(f"/cases/{reference}/application", json=face_to_face()).status_code == 200
        pack = http.post(f"/cases/{reference}/information-pack", json={"format": "online"})
        assert pack.status_code == 200
        assert http.get("/metrics").status_code == 404  # not on the API's port
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert "csods_outbox_pending" in scraped
        assert "csods_messages_total" in scraped

    steps = asyncio.run(
        journey.follow(
            stack.operator,  # an observer: request-checks is the checks service's to read
            [
                topics.stream(tenant, "intake", "enquiry-registered"),
                topics.stream(tenant, "intake", "request-checks"),
                topics.stream(tenant, "intake", "application-submitted"),
                topics.stream(tenant, "intake", "information-pack-given"),
            ],
            correlation_id=str(_correlation(stack, tenant, reference)),
            until_type=InformationPackGivenV1.TYPE,
            limit_seconds=60,
        )
    )
    assert sorted(step.envelope.type for step in steps) == sorted(
        [
            "csods.intake.enquiry-registered.v1",
            "csods.checks.request-checks.v1",
            "csods.intake.application-submitted.v1",
            "csods.checks.request-checks.v1",
            "csods.intake.information-pack-given.v1",
        ]
    )
    assert {step.envelope.subject for step in steps} == {reference}
    assert intake.stop() == 0


def _correlation(stack: FoundStack, tenant: str, reference: str) -> str:
    """The case's correlation id, read from its first event on the broker."""

    async def first() -> str:
        from aiokafka import AIOKafkaConsumer  # noqa: PLC0415

        from schemas.envelope import Envelope  # noqa: PLC0415

        consumer = AIOKafkaConsumer(
            topics.stream(tenant, "intake", "enquiry-registered"),
            **stack.principal_access(tenant, "ops").aiokafka(),
            group_id=None,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            async with asyncio.timeout(30):
                while True:
                    record = await consumer.getone()
                    envelope = Envelope.from_headers(record.headers)
                    if envelope.subject == reference:
                        return str(envelope.correlation_id)
        finally:
            await consumer.stop()

    return asyncio.run(first())
