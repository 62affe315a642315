"""The deadline timer: consultation reminders, overdue consultations and late handoffs.

An agency that never answers sends nothing: something in the service must notice that its
time is up. The runtime runs it as a ticker beside the subscribers; time comes from the
injectable clock, so a test calls `sweep_once` after moving the clock.
"""

from __future__ import annotations

import structlog

from services.multiagency import use_cases
from services.multiagency.config import Context
from services.runtime.clock import Clock
from services.runtime.service import Ticker
from services.runtime.unit_of_work import Database

log = structlog.get_logger(__name__)


async def sweep_once(database: Database, *, tenant: str, clock: Clock, context: Context) -> int:
    """One sweep in one transaction; return how many reminders and overdues it made."""
    async with database.transaction(tenant) as tx:
        swept = await use_cases.sweep_deadlines(tx, clock=clock, context=context)
    if swept:
        log.info("deadlines_swept", count=swept)
    return swept


def ticker(*, tenant: str, clock: Clock, context: Context, every: float) -> Ticker:
    """The timer as the runtime runs it, every `every` seconds."""

    async def run(database: Database) -> None:
        await sweep_once(database, tenant=tenant, clock=clock, context=context)

    return Ticker(name="multiagency-deadlines", every_seconds=every, run=run)
