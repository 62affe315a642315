"""Dead letters: the original bytes and headers, with the reason, on `dlq.<tenant>.v1`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from schemas import topics
from services.runtime.outbox import OutgoingRecord

if TYPE_CHECKING:
    from services.runtime.consumer import Record

H_REASON = "dlq_reason"
H_TOPIC = "dlq_topic"
H_PARTITION = "dlq_partition"
H_OFFSET = "dlq_offset"
H_CONSUMER = "dlq_consumer"
H_TIME = "dlq_time"
DLQ_HEADERS = frozenset({H_REASON, H_TOPIC, H_PARTITION, H_OFFSET, H_CONSUMER, H_TIME})


def dead_letter_record(
    record: Record, *, tenant: str, consumer: str, reason: str, at: datetime
) -> OutgoingRecord:
    """The dead letter of a record that `consumer` could not apply."""
    original = [(name, value) for name, value in record.headers if name not in DLQ_HEADERS]
    added = [
        (H_REASON, reason),
        (H_TOPIC, record.topic),
        (H_PARTITION, str(record.partition)),
        (H_OFFSET, str(record.offset)),
        (H_CONSUMER, consumer),
        (H_TIME, at.isoformat()),
    ]
    return OutgoingRecord(
        topic=topics.dead_letters(tenant),
        key=record.key,
        headers=[*original, *((name, value.encode()) for name, value in added)],
        value=record.value or b"",
    )
