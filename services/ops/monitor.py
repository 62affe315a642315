"""A cached view of the streams for the dashboard and /metrics: lag, backlog, dead letters."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from services.ops import streams
from services.runtime import dead_letters as dlq
from services.runtime.clock import Clock
from services.runtime.kafka_access import KafkaAccess, access_for
from services.runtime.logs import failure
from services.runtime.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class LetterLine:
    """One dead letter as the dashboard lists it: where, who, why; never its payload."""

    force: str
    ref: str
    consumer: str
    type: str
    reason: str


@dataclass(frozen=True)
class Snapshot:
    """The streams at one moment; a part that could not be read names its error instead."""

    lag: list[streams.Lag] = field(default_factory=list)
    backlog: list[streams.Backlog] = field(default_factory=list)
    dead_letters: dict[str, Counter[str]] = field(default_factory=dict)  # force -> consumer -> n
    recent: list[LetterLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Monitor:
    """Reads the broker and the outboxes at most once every `ttl` seconds.

    Each force's streams as that force's ops principal: it sees its own force's only.
    """

    settings: Settings
    forces: Sequence[str]
    clock: Clock
    ttl: float = 10.0
    _snapshot: Snapshot | None = None
    _taken: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _access: dict[str, KafkaAccess] = field(default_factory=dict)

    def access(self, force: str) -> KafkaAccess:
        """The force's ops principal (its password from the same settings' credentials)."""
        if force not in self._access:
            settings = self.settings.model_copy(update={"tenant": force})
            self._access[force] = access_for(settings, "ops")
        return self._access[force]

    async def snapshot(self) -> Snapshot:
        """The latest snapshot, taken anew when older than the ttl."""
        async with self._lock:
            if self._snapshot is None or time.monotonic() - self._taken > self.ttl:
                self._snapshot = await self._take()
                self._taken = time.monotonic()
            return self._snapshot

    async def _take(self) -> Snapshot:
        snapshot = Snapshot()
        for force in self.forces:
            try:
                snapshot.lag.extend(
                    await streams.consumer_lag(
                        self.access(force), force=force, now=self.clock.now()
                    )
                )
            except Exception as exc:  # noqa: BLE001 - one unreadable part must not blank the page
                snapshot.errors.append(f"lag of {force}: {type(exc).__name__}")
                log.warning("monitor_lag_failed", force=force, **failure(exc))
        try:
            snapshot.backlog.extend(
                await streams.outbox_backlog(self.settings.database_url, forces=self.forces)
            )
        except Exception as exc:  # noqa: BLE001
            snapshot.errors.append(f"outbox: {type(exc).__name__}")
            log.warning("monitor_outbox_failed", **failure(exc))
        for force in self.forces:
            try:
                letters = await streams.dead_letters(self.access(force), force=force)
            except Exception as exc:  # noqa: BLE001
                snapshot.errors.append(f"dead letters of {force}: {type(exc).__name__}")
                log.warning("monitor_dead_letters_failed", **failure(exc))
                continue
            snapshot.dead_letters[force] = Counter(
                letter.header(dlq.H_CONSUMER) or "unknown" for letter in letters
            )
            snapshot.recent.extend(
                LetterLine(
                    force,
                    letter.ref,
                    letter.header(dlq.H_CONSUMER),
                    letter.header("ce_type"),
                    letter.reason,
                )
                for letter in letters[-10:]
            )
        return snapshot
