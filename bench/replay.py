"""The replay figure: how fast a force's history rebuilds from its topics."""

# Two numbers. The ops read model's own rebuild (services/ops/rebuild.py, issue 8) from the
# first offset into a fresh table set, when that service is present; and, always, a plain
# consumer reading the same forces' topics back (envelope decoded, payload parsed, nothing
# written): the ceiling any projection works under, and the stand-in when ops is absent.

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord

from bench.access import BenchAccess
from bench.kafka_io import read_all
from schemas.catalogue import STREAMS
from schemas.envelope import Envelope
from services.runtime.kafka_access import KafkaAccess

STAND_IN = (
    "plain consumer of each force's streams as its ops team, from the beginning, envelope "
    "decoded and payload parsed, nothing written: a stand-in for the ops read model's "
    "rebuild, and the ceiling it works under"
)


async def _timed_read(access: KafkaAccess, topics: Sequence[str]) -> tuple[int, float]:
    """Records read, and the seconds from the first record to the last."""
    first: list[float] = []
    last = [0.0]

    def on_record(record: ConsumerRecord[bytes, bytes]) -> None:
        Envelope.from_headers(record.headers or ())
        json.loads(record.value or b"null")
        now = time.monotonic()
        if not first:
            first.append(now)
        last[0] = now

    events = await read_all(access, topics, on_record)
    return events, last[0] - first[0] if first else 0.0


async def plain_read(broker: BenchAccess, tenants: Sequence[str]) -> dict[str, Any]:
    """Read the forces' streams from the start to their current end; events per second."""
    started = time.monotonic()
    events = topics = 0
    reading = 0.0
    for tenant in tenants:
        # The streams the force's ops team may read (grants from the topic map), no other's.
        ops = broker.of(tenant, "ops")
        streams = [spec.name(tenant) for spec in STREAMS if "ops" in spec.consumers]
        read, seconds = await _timed_read(ops, streams)
        events, topics, reading = events + read, topics + len(streams), reading + seconds
    # The rate over the reading itself; `seconds` also holds connecting and finding the ends.
    seconds = time.monotonic() - started
    return {
        "label": STAND_IN,
        "topics": topics,
        "events": events,
        "seconds": round(seconds, 3),
        "reading_seconds": round(reading, 3),
        "events_per_second": round(events / reading, 1) if reading > 0 else None,
    }


async def ops_rebuild(
    broker: BenchAccess, owner_url: str, tenants: Sequence[str]
) -> dict[str, Any]:
    """Rebuild the ops read model of each force from its topics; events per second."""
    try:
        # Being built beside this harness (issue 8): used when present, never required.
        from services.ops import rebuild  # noqa: PLC0415
        from services.runtime.settings import Settings  # noqa: PLC0415
    except ImportError as exc:
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    forces: list[dict[str, Any]] = []
    env = broker.client_env()
    try:
        for tenant in tenants:
            # As the force's ops service would run it: its principal, the stack's authority.
            settings = Settings(
                tenant=tenant,
                kafka_bootstrap=broker.bootstrap,
                kafka_ca_file=Path(env["CSODS_KAFKA_CA_FILE"]),
                kafka_credentials_dir=Path(env["CSODS_KAFKA_CREDENTIALS_DIR"]),
                database_url=owner_url,
            )
            report = await rebuild.rebuild(settings)
            forces.append(
                {
                    "force": tenant,
                    "records": report.records,
                    "applied": report.applied,
                    "duplicates": report.duplicates,
                    "rejected": sum(report.rejected.values()),
                    "seconds": round(report.seconds, 3),
                }
            )
    except Exception as exc:  # noqa: BLE001 - an optional figure: say why, keep the run
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}", "forces": forces}
    records = sum(force["records"] for force in forces)
    seconds = sum(force["seconds"] for force in forces)
    return {
        "available": True,
        "label": "ops read model rebuilt from the first offset (services/ops/rebuild.py)",
        "forces": forces,
        "events": records,
        "seconds": round(seconds, 3),
        "events_per_second": round(records / seconds, 1) if seconds else None,
    }


async def replay(broker: BenchAccess, owner_url: str, tenants: Sequence[str]) -> dict[str, Any]:
    """Both replay numbers for the run's forces."""
    return {
        "ops_rebuild": await ops_rebuild(broker, owner_url, tenants),
        "plain_read": await plain_read(broker, tenants),
    }
