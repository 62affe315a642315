"""OpenTelemetry traces that follow one case across services.

Each message a service applies is a span whose parent is the span that emitted it: the
W3C `traceparent` travels in the Kafka headers, written into the outbox with the message.
Spans carry the case and its correlation id. Exported by OTLP/HTTP when an endpoint is set,
or as JSON lines to a file (CSODS_TRACE_FILE) for tests and for looking at by hand.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
_propagator = TraceContextTextMapPropagator()
tracer = trace.get_tracer("csods")


class JsonLinesExporter(SpanExporter):
    """Writes each finished span as one JSON line: ids, name, times, attributes."""

    def __init__(self, path: str | Path) -> None:
        self._path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Append the spans to the file."""
        with open(self._path, "a", encoding="utf-8") as out:  # noqa: PTH123
            for span in spans:
                parent = span.parent
                out.write(
                    json.dumps(
                        {
                            "name": span.name,
                            "trace_id": format(span.context.trace_id, "032x"),
                            "span_id": format(span.context.span_id, "016x"),
                            "parent_id": format(parent.span_id, "016x") if parent else None,
                            "service": span.resource.attributes.get("service.name"),
                            "attributes": dict(span.attributes or {}),
                        }
                    )
                    + "\n"
                )
        return SpanExportResult.SUCCESS


def configure_tracing(
    *, service: str, tenant: str, endpoint: str | None = None, path: Path | None = None
) -> None:
    """Install the process's tracer provider, exporting to an OTLP `endpoint` and/or `path`."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"csods-{service}", "csods.tenant": tenant})
    )
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if path:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(path)))
    trace.set_tracer_provider(provider)


@contextmanager
def consuming(
    headers: Sequence[tuple[str, bytes]], name: str, attributes: dict[str, Any]
) -> Iterator[trace.Span]:
    """A span for applying one message, child of the span that emitted it."""
    carrier = {key: value.decode(errors="replace") for key, value in headers if key == TRACEPARENT}
    parent = _propagator.extract(carrier)
    token = context.attach(parent)
    try:
        with tracer.start_as_current_span(
            name, kind=trace.SpanKind.CONSUMER, attributes=attributes
        ) as span:
            yield span
    finally:
        context.detach(token)


def current_traceparent() -> bytes | None:
    """The `traceparent` of the span in hand, to send along with a message."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    value = carrier.get(TRACEPARENT)
    return value.encode() if value else None


def trace_requests(app: FastAPI) -> None:
    """A span per HTTP request, so the messages a request emits start its case's trace."""

    @app.middleware("http")
    async def traced(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        with tracer.start_as_current_span(
            f"{request.method} {request.url.path}",
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": request.method, "url.path": request.url.path},
        ) as span:
            response = await call_next(request)
            span.set_attribute("http.response.status_code", response.status_code)
            return response


def add_trace_ids(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: the trace and span ids of the span in hand, if any."""
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event["trace_id"] = format(span.trace_id, "032x")
        event["span_id"] = format(span.span_id, "016x")
    return event
