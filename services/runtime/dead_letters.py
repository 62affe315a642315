"""Dead letters on `dlq.<tenant>.v1`: the original headers, the reason, the original bytes sealed.

The bytes a consumer refused may hold anything personal the sender put in them, valid or
not, so they are kept sealed under the tenant's key (services.runtime.sealing), bound to
the record's coordinates; the reason names fields and rules, never values. The force's ops
opens them to show them redacted, or to replay them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from schemas import topics
from services.runtime.outbox import OutgoingRecord
from services.runtime.sealing import ALGORITHM, TenantKeys, seal, unseal

if TYPE_CHECKING:
    from services.runtime.consumer import Record

H_REASON = "dlq_reason"
H_TOPIC = "dlq_topic"
H_PARTITION = "dlq_partition"
H_OFFSET = "dlq_offset"
H_CONSUMER = "dlq_consumer"
H_TIME = "dlq_time"
H_SEALED = "dlq_sealed"  # the algorithm the value is sealed with
H_KEY = "dlq_key"  # the id of the tenant's key it is sealed under
DLQ_HEADERS = frozenset(
    {H_REASON, H_TOPIC, H_PARTITION, H_OFFSET, H_CONSUMER, H_TIME, H_SEALED, H_KEY}
)


def binding(tenant: str, topic: str, partition: str, offset: str) -> bytes:
    """What a dead letter's sealed bytes are bound to: whose, and the record they came from."""
    return f"dlq|{tenant}|{topic}|{partition}|{offset}".encode()


def dead_letter_record(
    record: Record,
    *,
    tenant: str,
    consumer: str,
    reason: str,
    at: datetime,
    keys: TenantKeys,
) -> OutgoingRecord:
    """The dead letter of a record that `consumer` could not apply, its bytes sealed."""
    original = [(name, value) for name, value in record.headers if name not in DLQ_HEADERS]
    key_id, sealed = seal(
        keys,
        tenant,
        record.value or b"",
        binding(tenant, record.topic, str(record.partition), str(record.offset)),
    )
    added = [
        (H_REASON, reason),
        (H_TOPIC, record.topic),
        (H_PARTITION, str(record.partition)),
        (H_OFFSET, str(record.offset)),
        (H_CONSUMER, consumer),
        (H_TIME, at.isoformat()),
        (H_SEALED, ALGORITHM),
        (H_KEY, key_id),
    ]
    return OutgoingRecord(
        topic=topics.dead_letters(tenant),
        key=record.key,
        headers=[*original, *((name, value.encode()) for name, value in added)],
        value=sealed,
    )


def opened(keys: TenantKeys, tenant: str, headers: dict[str, str], value: bytes) -> bytes:
    """A dead letter's original bytes (`SealError` if they do not open: a key destroyed).

    A dead letter written before dead letters were sealed carries no `dlq_sealed`: its
    value is the original as it is.
    """
    if headers.get(H_SEALED) != ALGORITHM:
        return value
    bound = binding(
        tenant, headers.get(H_TOPIC, ""), headers.get(H_PARTITION, ""), headers.get(H_OFFSET, "")
    )
    return unseal(keys, tenant, headers.get(H_KEY, ""), value, bound)
