"""How a stand-in misbehaves, as a real national system can: slow, failing, down, garbled.

Read from `CSODS_STUB_*` environment variables of the stand-in's own process, so each stub is
configured on its own. A failure or an outage raises a transient error: the runtime leaves the
query unacknowledged in the broker and reads it again, so nothing asked is lost.
"""

from __future__ import annotations

import asyncio
import random
import time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SystemUnavailable(OSError):  # noqa: N818 - a state of the system, as the runtime's Rejected
    """The system cannot answer now: the query stays in the broker and is read again."""


class StubSettings(BaseSettings):
    """A stand-in's behaviour."""

    model_config = SettingsConfigDict(env_prefix="CSODS_STUB_", extra="ignore", frozen=True)

    latency_seconds: float = Field(default=0.0, ge=0, description="Typical time to answer.")
    latency_jitter: float = Field(
        default=0.5, ge=0, le=1, description="Answers take latency times 1 +/- this share."
    )
    error_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of queries that fail and are retried."
    )
    malformed_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of answers sent garbled (a dead letter)."
    )
    outage_seconds: float = Field(
        default=0.0, ge=0, description="Down for this long after starting; then it answers."
    )
    random_seed: int | None = Field(default=None, description="Seed of the failures' dice.")


class Behaviour:
    """Rolls the dice for one stand-in process."""

    def __init__(self, settings: StubSettings, *, started: float | None = None) -> None:
        self.settings = settings
        self._started = time.monotonic() if started is None else started
        self._rng = random.Random(settings.random_seed)  # noqa: S311 - simulation, not secrecy

    @classmethod
    def from_environment(cls) -> Behaviour:
        """The behaviour the process's environment asks for."""
        return cls(StubSettings())

    def outage_left(self) -> float:
        """Seconds until the system is back; 0 when it is up."""
        return max(0.0, self._started + self.settings.outage_seconds - time.monotonic())

    async def before_answer(self) -> None:
        """Wait as long as the system takes, or fail as it sometimes does."""
        left = self.outage_left()
        if left > 0:
            # Hold the query a while before giving it back, so a long outage is not a busy loop.
            await asyncio.sleep(min(left, 2.0))
            raise SystemUnavailable("the system is down")
        if self._rng.random() < self.settings.error_rate:
            raise SystemUnavailable("the system failed to answer")
        latency = self.settings.latency_seconds
        if latency > 0:
            jitter = self.settings.latency_jitter
            await asyncio.sleep(latency * self._rng.uniform(1 - jitter, 1 + jitter))

    def garbles(self) -> bool:
        """Whether this answer goes out malformed."""
        return self._rng.random() < self.settings.malformed_rate
