"""AsyncAPI 3.0 documents, one per service, from the topic map by FastStream's generator."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from schemas import envelope
from schemas.base import Message
from schemas.catalogue import (
    AGENCY_INBOX,
    AGENCY_SYSTEM,
    TopicSpec,
    consumed_by,
    produced_by,
    sent_to_inboxes,
)

VERSION = "1.0.0"
DOCUMENTS: dict[str, str] = {
    "intake": "Stages 1 to 3 for one force: initial contact, face to face, empowerment.",
    "checks": "The checks of stages 1, 2 and 4 against PNC, ViSOR, local intelligence and INI.",
    "multiagency": "Full risk assessment, consultations, forums and cross-force handoff.",
    "disclosure": "The disclosure decision, its delivery in person, and closure.",
    "ops": "Deadline clocks, management information and stream monitoring.",
    AGENCY_SYSTEM: (
        "What an agency or national system (children's social care, probation, PNC, ViSOR, "
        "INI) reads from its inbox and writes back to the asking force's inbox."
    ),
}

_ENVELOPE_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": (
        "CloudEvents attributes in binary content mode (docs/architecture.md, section 3)."
    ),
    "required": [
        envelope.H_ID,
        envelope.H_SOURCE,
        envelope.H_TYPE,
        envelope.H_TIME,
        envelope.H_SUBJECT,
        envelope.H_CORRELATION,
    ],
    "properties": {
        envelope.H_SPEC: {"type": "string", "const": envelope.SPEC_VERSION},
        envelope.H_ID: {"type": "string", "format": "uuid", "description": "Unique message id."},
        envelope.H_SOURCE: {"type": "string", "description": "/<tenant>/<service>"},
        envelope.H_TYPE: {"type": "string", "description": "The message type, ending in .v1."},
        envelope.H_TIME: {"type": "string", "format": "date-time"},
        envelope.H_SUBJECT: {"type": "string", "description": "The case reference (the key)."},
        envelope.H_CORRELATION: {"type": "string", "format": "uuid"},
        envelope.H_CAUSATION: {"type": "string", "format": "uuid"},
        envelope.H_CLASSIFICATION: {"type": "string", "examples": [envelope.OFFICIAL_SENSITIVE]},
        envelope.H_CONTENT_TYPE: {"type": "string", "const": envelope.CONTENT_TYPE},
    },
}


def document(party: str) -> dict[str, Any]:
    """The AsyncAPI document of a service, or of an agency system."""
    broker = KafkaBroker("kafka:9092", description="Each deployment's own Kafka cluster.")
    for spec, message in _reads(party):
        title = f"{spec.pattern}:{message.__name__}"
        group = f"{{tenant}}.{party}" if party != AGENCY_SYSTEM else None
        broker.subscriber(spec.pattern, group_id=group, title=title, description=spec.description)(
            _typed_handler(message)
        )
    titles: set[str] = set()
    for spec, message in _writes(party):
        title = f"{spec.pattern}:{message.__name__}:send"
        if title in titles:  # one message to two owners' inboxes of the same pattern
            title = f"{title}:{spec.owner.value}"
        titles.add(title)
        broker.publisher(spec.pattern, schema=message, title=title, description=spec.description)
    factory = AsyncAPI(
        title=f"csods {party}",
        version=VERSION,
        description=DOCUMENTS[party],
        schema_version="3.0.0",
    )
    app = FastStream(broker, specification=factory)
    raw: dict[str, Any] = json.loads(app.schema.to_specification().to_json())
    return _with_envelope(raw)


def _reads(party: str) -> list[tuple[TopicSpec, type[Message]]]:
    if party == AGENCY_SYSTEM:
        return [(AGENCY_INBOX, message) for message in AGENCY_INBOX.messages]
    return [
        (spec, message)
        for spec in consumed_by(party)
        for message in spec.messages
        if party in spec.consumers_of(message)
    ]


def _writes(party: str) -> list[tuple[TopicSpec, type[Message]]]:
    streams = (
        []
        if party == AGENCY_SYSTEM
        else [(spec, message) for spec in produced_by(party) for message in spec.messages]
    )
    return [*streams, *sent_to_inboxes(party)]


def _typed_handler(message: type[Message]) -> Callable[..., Awaitable[None]]:
    """A handler whose signature tells the generator the payload's schema."""

    async def handler(payload: Message) -> None:
        return None

    handler.__annotations__ = {"payload": message, "return": None}
    return handler


def _with_envelope(raw: dict[str, Any]) -> dict[str, Any]:
    """Add what the generator does not know: envelope headers and the tenant parameter."""
    components = raw.setdefault("components", {})
    components.setdefault("schemas", {})["CloudEventsHeaders"] = _ENVELOPE_HEADERS
    for message in components.get("messages", {}).values():
        message["headers"] = {"$ref": "#/components/schemas/CloudEventsHeaders"}
        message["correlationId"] = {
            "location": f"$message.header#/{envelope.H_CORRELATION}",
            "description": "The id of the case's first message.",
        }
    for channel in raw.get("channels", {}).values():
        address = channel.get("address", "")
        if "{tenant}" in address:
            channel["parameters"] = {
                "tenant": {"description": "The force or agency the topic belongs to."}
            }
        if "{sender}" in address:
            channel["parameters"]["sender"] = {
                "description": "The tenant that writes this inbox: the only one the broker lets."
            }
    return raw
