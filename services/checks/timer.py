"""The checks service's own clock: it ends the waits of stages and asks silent systems again.

Answers come as messages, but a system that never answers sends nothing: something in the
service must notice that a stage's wait has ended. Time comes from the injectable clock.

The runtime has no hook for background work yet, so the timer starts when the runtime's
`prepare()` wires the service, on the pool `prepare()` has just opened (the service's own role,
under row-level security). Called from anywhere else (a unit test, the benchmark reading the
wiring), nothing starts.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from types import FrameType

import structlog

from schemas import topics
from schemas.checks import System
from services.checks import domain, use_cases
from services.checks.config import ChecksSettings
from services.runtime.broker import ensure_topics
from services.runtime.clock import Clock
from services.runtime.logs import failure
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database

log = structlog.get_logger(__name__)
_RUNNING: set[asyncio.Task[None]] = set()  # a task without a reference may be collected


async def run(
    database: Database,
    *,
    tenant: str,
    clock: Clock,
    settings: ChecksSettings,
    runtime: Settings | None = None,
) -> None:
    """Every few seconds, end the waits that are over, until the service's pool closes."""
    if runtime is not None:
        await _ensure_inboxes(runtime, tenant, settings)
    log.info("checks_timer_started", every=settings.sweep_seconds)
    while not database.pool.is_closing():
        try:
            await use_cases.end_waits(database, tenant=tenant, clock=clock, settings=settings)
        except Exception as exc:  # noqa: BLE001 - the next round tries again; never stop timing
            if database.pool.is_closing():
                break
            log.warning("checks_timer_failed", **failure(exc))
        await asyncio.sleep(settings.sweep_seconds)
    log.info("checks_timer_stopped")


async def _ensure_inboxes(runtime: Settings, tenant: str, settings: ChecksSettings) -> None:
    # The systems' inboxes exist before the first query is published to them.
    overrides = settings.tenant_overrides()
    systems: Iterable[System] = (System.PNC, System.VISOR, System.INI, System.LOCAL_INTELLIGENCE)
    wanted = [
        topics.inbox(domain.system_tenant(system, force=tenant, overrides=overrides))
        for system in systems
    ]
    try:
        await ensure_topics(runtime, wanted)
    except Exception as exc:  # noqa: BLE001 - the broker creates them on first write anyway
        log.warning("checks_inboxes_not_created", **failure(exc))


def _runtime_frame() -> FrameType | None:
    frame: FrameType | None = sys._getframe(1)  # the runtime offers no hook yet (see above)
    while frame is not None:
        if frame.f_code.co_name == "prepare" and (
            frame.f_globals.get("__name__") == "services.runtime.service"
        ):
            return frame
        frame = frame.f_back
    return None


def start_with_runtime(*, tenant: str, clock: Clock, settings: ChecksSettings) -> None:
    """Start the timer when the runtime's prepare() is wiring the service; otherwise nothing."""
    frame = _runtime_frame()
    if frame is None:
        return
    database = next((v for v in frame.f_locals.values() if isinstance(v, Database)), None)
    runtime = next((v for v in frame.f_locals.values() if isinstance(v, Settings)), None)
    if database is None:
        log.warning("checks_timer_not_started", reason="no database in prepare()")
        return
    task = asyncio.get_running_loop().create_task(
        run(database, tenant=tenant, clock=clock, settings=settings, runtime=runtime),
        name="checks-timer",
    )
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
