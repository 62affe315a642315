"""One hop of the bare baseline: plain aiokafka and asyncpg, the same database work per message."""

# Run as `python -m bench.baseline_hop --hop N ...`. Each record: one transaction with the inbox
# claim (ON CONFLICT DO NOTHING), one state write and one outbox-like insert; then the next
# hop's message is produced and acknowledged; then the offset is committed. No framework, no
# validation, no row-level security, no relay: the floor the pipeline is measured against.
# The broker's security is no framework but the price of being on it: like a service, a hop
# connects over SASL_SSL with SCRAM-SHA-512 as its own principal, `<tenant>.baseline-hop<N>`,
# which its ACLs let read only the topic before it and write only its own.

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from bench.hops import hop_group, hop_topic, hop_type
from schemas.envelope import Envelope, source_of
from services.runtime.kafka_access import AccessError, KafkaAccess, read_password

SCHEMA = "bench_baseline"
DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.inbox (
    consumer    text        NOT NULL,
    source      text        NOT NULL,
    message_id  text        NOT NULL,
    tenant      text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, source, message_id)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.state (
    tenant     text        NOT NULL,
    case_id    text        NOT NULL,
    hop        integer     NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, case_id, hop)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.outbox (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant        text        NOT NULL,
    topic         text        NOT NULL,
    key           bytea,
    header_names  text[]      NOT NULL,
    header_values bytea[]     NOT NULL,
    payload       bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
"""


async def prepare_schema(owner_dsn: str) -> None:
    """Create the baseline's tables (the same shape as the runtime's inbox and outbox)."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute(DDL)
    finally:
        await conn.close()


class Hop:
    """Consumes hop N-1's topic and produces hop N's, one record at a time."""

    def __init__(self, *, tenant: str, hop: int, conn: asyncpg.Connection) -> None:
        self._tenant = tenant
        self._hop = hop
        self._conn = conn
        self._consumer_name = f"hop{hop}"
        self._out = hop_topic(tenant, hop)
        self._source = source_of(tenant, f"hop{hop}")

    def emitted(self, parent: Envelope, now: datetime) -> Envelope:
        """The envelope of what this hop emits for `parent`."""
        # Derived from the parent's id: a redelivered input emits the very same message id,
        # so a repeat shows as a redelivery, never as a second effect.
        return Envelope(
            id=uuid.uuid5(parent.id, self._consumer_name),
            source=self._source,
            type=hop_type(self._hop),
            time=now,
            subject=parent.subject,
            correlation_id=parent.correlation_id,
            causation_id=parent.id,
        )

    async def apply(self, record: ConsumerRecord[bytes, bytes]) -> tuple[Envelope, bytes]:
        """Apply one record in one transaction; return the message to produce."""
        now = datetime.now(UTC)
        parent = Envelope.from_headers(record.headers or ())
        envelope = self.emitted(parent, now)
        payload = record.value or b""
        headers = envelope.to_headers()
        async with self._conn.transaction():
            fresh = await self._conn.fetchval(
                "INSERT INTO inbox (consumer, source, message_id, tenant)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                self._consumer_name,
                parent.source,
                str(parent.id),
                self._tenant,
            )
            if fresh is not None:
                await self._conn.execute(
                    "INSERT INTO state (tenant, case_id, hop, updated_at) VALUES ($1, $2, $3, $4)",
                    self._tenant,
                    str(parent.correlation_id),
                    self._hop,
                    now,
                )
                await self._conn.execute(
                    "INSERT INTO outbox"
                    " (tenant, topic, key, header_names, header_values, payload)"
                    " VALUES ($1, $2, $3, $4, $5, $6)",
                    self._tenant,
                    self._out,
                    envelope.key,
                    [name for name, _ in headers],
                    [value for _, value in headers],
                    payload,
                )
        return envelope, payload

    async def run(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        """Consume until SIGTERM; the offset is committed only after the produce is acked."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        announced = False
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            if not announced and consumer.assignment():
                sys.stdout.write("hop_ready\n")
                sys.stdout.flush()
                announced = True
            for tp, records in batches.items():
                for record in records:
                    if stopping.is_set():
                        return  # uncommitted: the next consumer of the group reads it again
                    envelope, payload = await self.apply(record)
                    await producer.send_and_wait(
                        self._out, payload, key=envelope.key, headers=envelope.to_headers()
                    )
                    await consumer.commit(
                        {TopicPartition(tp.topic, tp.partition): record.offset + 1}
                    )


def _variable(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise AccessError(f"{name}: not set")
    return value


def hop_access(tenant: str, hop: int) -> KafkaAccess:
    """The hop's own principal, from the variables a service process of the stack gets."""
    # As `access_for` finds a service's: the password in the credentials folder, by name.
    name = hop_group(tenant, hop)
    folder = Path(_variable("CSODS_KAFKA_CREDENTIALS_DIR"))
    ca = os.environ.get("CSODS_KAFKA_CA_FILE", "").strip()
    return KafkaAccess(
        _variable("CSODS_KAFKA_BOOTSTRAP"),
        "SASL_SSL",
        username=name,
        password=read_password(folder / name, "CSODS_KAFKA_CREDENTIALS_DIR"),
        mechanism="SCRAM-SHA-512",
        ca_file=Path(ca) if ca else None,
    )


async def main_async(*, access: KafkaAccess, dsn: str, tenant: str, hop: int) -> None:
    """Connect, consume and produce until stopped."""
    conn = await asyncpg.connect(
        dsn, server_settings={"search_path": SCHEMA, "application_name": f"bench-hop{hop}"}
    )
    consumer = AIOKafkaConsumer(
        hop_topic(tenant, hop - 1),
        **access.aiokafka(),
        group_id=hop_group(tenant, hop),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(**access.aiokafka(), enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    try:
        await Hop(tenant=tenant, hop=hop, conn=conn).run(consumer, producer)
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
        with contextlib.suppress(Exception):
            await producer.stop()
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the hop's arguments and run it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--hop", type=int, required=True)
    args = parser.parse_args(argv)
    access = hop_access(args.tenant, args.hop)
    asyncio.run(main_async(access=access, dsn=args.dsn, tenant=args.tenant, hop=args.hop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
