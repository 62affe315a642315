"""Rebuild the read model from the topics, from the beginning, into a fresh table set."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError

from schemas.base import Message
from schemas.envelope import Envelope, EnvelopeError
from services.ops import domain, merge, store, use_cases
from services.ops.handlers import read_streams
from services.ops.streams import partitions_of
from services.runtime import inbox
from services.runtime.kafka_access import KafkaAccess, access_for
from services.runtime.migrations import RUNTIME_MIGRATIONS, migrate, role_name
from services.runtime.service import app_dsn
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database, open_database

LIVE_SCHEMA = use_cases.SERVICE
REBUILD_SCHEMA = "ops_rebuild"
MIGRATIONS = Path(__file__).parent / "migrations"
BATCH = 5000  # records read, merged and written per transaction


@dataclass
class Rebuilt:
    """What a rebuild read, applied and skipped, and how long it took."""

    force: str
    schema: str
    records: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Records read and applied per second."""
        return self.records / self.seconds if self.seconds else 0.0


@functools.cache
def _models(force: str, topic: str) -> dict[str, type[Message]]:
    """The types read from one of the force's streams (made once per topic, not per record)."""
    return {
        message.TYPE: message
        for spec in read_streams()
        if spec.name(force) == topic
        for message in spec.messages
    }


def decode(record: ConsumerRecord[Any, Any], force: str) -> tuple[Envelope, Message] | str:
    """A record as the live consumer decodes it, or the reason it would dead-letter it."""
    try:
        envelope = Envelope.from_headers(record.headers or ())
    except EnvelopeError as exc:
        return str(exc)
    # The same tenant wall as the runtime's consumer (architecture §5).
    if envelope.tenant != force:
        return "header ce_source: another tenant's message on this force's stream"
    model = _models(force, record.topic).get(envelope.type)
    if model is None:
        return f"header ce_type: {envelope.type} is not read from this topic"
    try:
        message = model.model_validate_json(record.value or b"")
    except ValidationError:
        return f"payload: not a valid {envelope.type}"
    if getattr(message, "case_reference", envelope.subject) != envelope.subject:
        return "case_reference: differs from header ce_subject"
    return envelope, message


async def open_schema(settings: Settings, schema: str) -> Database:
    """Migrate a table set of the read model (live or rebuild) and open it as the ops role."""
    await migrate(
        owner_dsn=settings.database_url,
        schema=schema,
        role=role_name(LIVE_SCHEMA),
        migrations=[("runtime", RUNTIME_MIGRATIONS), (LIVE_SCHEMA, MIGRATIONS)],
    )
    return await open_database(dsn=app_dsn(settings, LIVE_SCHEMA), schema=schema, size=2)


async def apply_records(
    database: Database, force: str, records: list[Any], report: Rebuilt
) -> None:
    """Decode, claim and merge a batch of records, then write it: a few statements in one
    transaction, whatever the batch's size (services/ops/merge.py)."""
    await write_batch(database, force, decode_batch(records, force, report), report)


def decode_batch(records: list[Any], force: str, report: Rebuilt) -> list[tuple[Envelope, Message]]:
    """The records as the live consumer decodes them; the refused counted by reason."""
    decoded: list[tuple[Envelope, Message]] = []
    for record in records:
        result = decode(record, force)
        if isinstance(result, str):
            report.rejected[result] = report.rejected.get(result, 0) + 1
        else:
            decoded.append(result)
    return decoded


async def write_batch(
    database: Database, force: str, decoded: list[tuple[Envelope, Message]], report: Rebuilt
) -> None:
    """Claim decoded records, merge the changes of those not seen before, and write them."""
    async with database.transaction(force) as tx:
        claimed = await inbox.claim_many(
            tx.conn,
            tenant=force,
            consumer=use_cases.SERVICE,
            ids=[(envelope.source, str(envelope.id)) for envelope, _ in decoded],
        )
        batch = merge.Batch()
        for envelope, message in decoded:
            key = (envelope.source, str(envelope.id))
            if key not in claimed:
                report.duplicates += 1
                continue
            claimed.discard(key)  # a second copy in the same batch is a duplicate too
            change = domain.change_for(message)
            if change is not None:
                batch.add(
                    change,
                    message_id=envelope.id,
                    type_=envelope.type,
                    correlation_id=envelope.correlation_id,
                )
            report.applied += 1
        await store.apply(tx, batch)


async def rebuild(
    settings: Settings,
    *,
    schema: str = REBUILD_SCHEMA,
    progress: Callable[[int], None] | None = None,
    access: KafkaAccess | None = None,
) -> Rebuilt:
    """Read every stream of the force from its first offset to today's end into `schema`.

    As the force's ops principal (default: the settings'), which reads exactly the streams
    the read model projects.
    """
    force = settings.tenant
    access = access or access_for(settings, use_cases.SERVICE)
    database = await open_schema(settings, schema)
    report = Rebuilt(force, schema)
    started = time.perf_counter()
    # A short fetch wait: at the end the consumer stops without waiting out a long poll.
    consumer = AIOKafkaConsumer(
        **access.aiokafka(), group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        async with database.transaction(force) as tx:
            await store.forget(tx, consumer=use_cases.SERVICE)
        partitions = await partitions_of(access, [spec.name(force) for spec in read_streams()])
        if partitions:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            waiting = {tp for tp in partitions if ends[tp] > 0}
            # One batch is written while the next is fetched and decoded; the writes stay in
            # order, one transaction after another.
            writing: asyncio.Task[None] | None = None
            try:
                while waiting:
                    fetched = await consumer.getmany(*waiting, timeout_ms=1000, max_records=BATCH)
                    batch = [
                        record
                        for tp, records in fetched.items()
                        for record in records
                        if record.offset < ends[tp]
                    ]
                    if batch:
                        decoded = decode_batch(batch, force, report)
                        if writing is not None:
                            await writing
                        writing = asyncio.create_task(write_batch(database, force, decoded, report))
                        await asyncio.sleep(0)  # the write goes out before the next fetch
                        report.records += len(batch)
                        if progress is not None:
                            progress(report.records)
                    for tp in list(waiting):
                        if await consumer.position(tp) >= ends[tp]:
                            waiting.discard(tp)
                if writing is not None:
                    await writing
            finally:
                if writing is not None and not writing.done():
                    writing.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await writing
    finally:
        await consumer.stop()
        await database.pool.close()
    report.seconds = time.perf_counter() - started
    return report


async def differences(settings: Settings, *, schema: str = REBUILD_SCHEMA) -> dict[str, int]:
    """Rows that differ between the live read model and a rebuilt one, per table."""
    live = await open_schema(settings, LIVE_SCHEMA)
    rebuilt = await open_schema(settings, schema)
    found: dict[str, int] = {}
    try:
        for table in store.TABLES:
            async with live.transaction(settings.tenant) as tx:
                ours = await store.rows(tx, table=table)
            async with rebuilt.transaction(settings.tenant) as tx:
                theirs = await store.rows(tx, table=table)
            found[table] = sum(row not in theirs for row in ours) + sum(
                row not in ours for row in theirs
            )
    finally:
        await live.pool.close()
        await rebuilt.pool.close()
    return found
