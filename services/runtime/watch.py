"""A dependency that has gone away is said in the structured log, not only in the client
library's own lines: a warning once the database or the broker has failed its probe for a few
seconds, an error once it has been gone a minute (and every minute after), each with how long
it has been gone; a line when it answers again. The probes are the readiness probes, so
`/health/ready` says "not ready" for as long as the log says "unreachable"."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from services.runtime.health import Probe, passes

log = structlog.get_logger(__name__)

EVERY_SECONDS = 2.0
WARN_AFTER_SECONDS = 5.0
ERROR_EVERY_SECONDS = 60.0


@dataclass
class _Outage:
    since: float
    warned: bool = False
    said_at: float = 0.0


class DependencyWatch:
    """Probes each dependency in turn and says when one goes away and comes back."""

    def __init__(
        self,
        probes: Mapping[str, Probe],
        *,
        every: float = EVERY_SECONDS,
        warn_after: float = WARN_AFTER_SECONDS,
        error_every: float = ERROR_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probes = dict(probes)
        self._every = every
        self._warn_after = warn_after
        self._error_every = error_every
        self._clock = clock
        self._outages: dict[str, _Outage] = {}

    async def run(self) -> None:
        """Probe until cancelled."""
        while True:
            for name, probe in self._probes.items():
                self.observe(name, answered=await passes(probe) == "ok")
            await asyncio.sleep(self._every)

    def gone(self) -> dict[str, float]:
        """Each dependency that does not answer now, and for how many seconds it has not."""
        now = self._clock()
        return {name: now - outage.since for name, outage in self._outages.items()}

    def observe(self, name: str, *, answered: bool) -> None:
        """Take one probe's result and say what changed."""
        now = self._clock()
        outage = self._outages.get(name)
        if answered:
            if outage is not None:
                del self._outages[name]
                if outage.warned:
                    gone = _s(now - outage.since)
                    log.info("dependency_back", dependency=name, gone_seconds=gone)
            return
        if outage is None:
            outage = self._outages[name] = _Outage(since=now)
        gone = now - outage.since
        if not outage.warned and gone >= self._warn_after:
            log.warning("dependency_unreachable", dependency=name, gone_seconds=_s(gone))
            outage.warned, outage.said_at = True, now
        elif gone >= self._error_every and now - outage.said_at >= self._error_every:
            log.error("dependency_unreachable", dependency=name, gone_seconds=_s(gone))
            outage.said_at = now


def _s(seconds: float) -> float:
    return round(seconds, 1)
