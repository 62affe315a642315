"""One trace follows a case: the sender's span, the service's span, and what it emits."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.trace import TracerProvider

from schemas import topics
from schemas.intake import EnquiryRegisteredV1
from services import journey
from services.demo import online_enquiry
from services.runtime.tracing import TRACEPARENT, current_traceparent
from tests.e2e.conftest import Start
from tests.support.stack import FoundStack


def test_a_case_keeps_one_trace_across_a_service(
    stack: FoundStack, tenant: str, start_service: Start, tmp_path: Path
) -> None:
    spans_file = tmp_path / "intake-spans.jsonl"
    start_service("intake", CSODS_TRACE_FILE=str(spans_file))
    command, envelope = online_enquiry(tenant)

    tracer = TracerProvider().get_tracer("portal")
    with tracer.start_as_current_span("portal submits an enquiry") as portal_span:
        traceparent = current_traceparent()
        assert traceparent is not None
        trace_id = format(portal_span.get_span_context().trace_id, "032x")

    async def send() -> None:
        producer = AIOKafkaProducer(**stack.principal_access(tenant, "portal").aiokafka())
        await producer.start()
        try:
            await producer.send_and_wait(
                topics.inbox(tenant, tenant),
                command.to_json(),
                key=envelope.key,
                headers=[*envelope.to_headers(), (TRACEPARENT, traceparent)],
            )
        finally:
            await producer.stop()

    asyncio.run(send())
    registered = asyncio.run(
        journey.follow(
            stack.principal_access(tenant, "ops"),
            [topics.stream(tenant, "intake", "enquiry-registered")],
            correlation_id=str(envelope.correlation_id),
            until_type=EnquiryRegisteredV1.TYPE,
            limit_seconds=60,
        )
    )
    assert len(registered) == 1
    sent_on = dict(registered[0].headers)[TRACEPARENT].decode()
    assert sent_on.split("-")[1] == trace_id  # the next service's span joins the same trace

    spans = [json.loads(line) for line in spans_file.read_text().splitlines()]
    applied = [span for span in spans if span["name"] == f"apply {command.TYPE}"]
    assert len(applied) == 1
    assert applied[0]["trace_id"] == trace_id
    assert applied[0]["parent_id"] == format(portal_span.get_span_context().span_id, "016x")
    assert applied[0]["attributes"]["messaging.message.conversation_id"] == str(
        envelope.correlation_id
    )
    assert applied[0]["service"] == "csods-intake"
    assert sent_on.split("-")[2] == applied[0]["span_id"]
