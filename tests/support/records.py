"""Building Kafka records the way other systems would send them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from enum import Enum
from typing import Literal

from schemas import topics
from schemas.base import Message
from schemas.envelope import Envelope, first_envelope, source_of
from schemas.intake import RegisterEnquiryV1
from services.demo import online_enquiry
from services.runtime.clock import FrozenClock
from services.runtime.consumer import Record

_offsets = itertools.count(1)


def enquiry(tenant: str, *, force: str | None = None) -> RegisterEnquiryV1:
    """An online-portal enquiry to a force (the demo's, at the frozen clock's time)."""
    command, _ = online_enquiry(force or tenant)
    return command.model_copy(update={"received_at": FrozenClock().now()})


def envelope_for(message: Message, *, sender: str, subject: str | None = None) -> Envelope:
    """A first envelope for `message`, sent by tenant `sender`."""
    return first_envelope(
        type=message.TYPE,
        source=source_of(sender, "portal"),
        subject=subject or str(getattr(message, "submission_id", "")) or "none",
        time=FrozenClock().now(),
    )


class _Key(Enum):
    SUBJECT = "the header ce_subject"


def record(
    topic: str,
    *,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    key: bytes | Literal[_Key.SUBJECT] | None = _Key.SUBJECT,
    offset: int | None = None,
) -> Record:
    """A consumed record at a fresh offset (or the one given).

    Keyed as a sender must key it, by the header ce_subject (the case reference), unless a
    key is given; a record without that header gets the key b"key".
    """
    if key is _Key.SUBJECT:
        key = dict(headers).get("ce_subject", b"key")
    return Record(
        topic=topic,
        partition=0,
        offset=next(_offsets) if offset is None else offset,
        key=key,
        value=value,
        headers=tuple(headers),
    )


def inbox_record(tenant: str, message: Message, *, sender: str | None = None) -> Record:
    """A valid message on a tenant's inbox from `sender` (default: its own portal)."""
    sender = sender or tenant
    envelope = envelope_for(message, sender=sender)
    return record(
        topics.inbox(tenant, sender),
        value=message.to_json(),
        headers=envelope.to_headers(),
        key=envelope.key,
    )


def stream_record(tenant: str, service: str, event: str, message: Message, subject: str) -> Record:
    """A message on a force's own stream, written by one of its services."""
    envelope = first_envelope(
        type=message.TYPE,
        source=source_of(tenant, service),
        subject=subject,
        time=FrozenClock().now(),
    )
    return record(
        topics.stream(tenant, service, event),
        value=message.to_json(),
        headers=envelope.to_headers(),
        key=envelope.key,
    )
