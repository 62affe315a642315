"""The scripted case worker: answers a case's human steps at once, so only machines are timed."""

# Today every case closes by itself ('no concerns', 5.5.5), so there is nothing to answer. When
# a stage starts waiting for a person (face to face, risk-assessment sign-off, forum decision,
# delivery record), pass `run_bench(worker=...)` a worker whose `on_event` sends that decision,
# with no think time, through the owning service's public interface as soon as the waiting
# event is observed. Latency stays measured from the scheduled send, so its delay counts.

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from schemas.envelope import Envelope


class CaseWorker(Protocol):
    """Something that acts on the events of a case as a member of staff would."""

    def topics(self, tenant: str) -> Sequence[str]:
        """Topics to watch beyond the stage topics: where the waiting events appear."""

    async def on_event(self, topic: str, envelope: Envelope, payload: bytes) -> None:
        """React to the first sighting of one message of a bench case."""


class NoHumanSteps:
    """The worker for today's skeleton: every case closes without a human decision."""

    def topics(self, tenant: str) -> Sequence[str]:
        """None beyond the stage topics."""
        del tenant
        return ()

    async def on_event(self, topic: str, envelope: Envelope, payload: bytes) -> None:
        """Nothing to answer."""
        del topic, envelope, payload
