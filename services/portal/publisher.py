"""How an application leaves the form: `RegisterEnquiryV1` on the force's inbox from itself.

The portal is the force's own principal `<force>.portal`, whose one right is to write that
inbox (services/access/grants.py). One producer is started with the web process and kept:
idempotent, acks=all, as the outbox relay's. Intake keys its dedupe on the submission id, so
an application sent twice (a double click, a retry after a timeout whose first send did
arrive) is one enquiry.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas import topics
from schemas.catalogue import PORTAL
from schemas.envelope import Envelope, first_envelope, source_of
from schemas.intake import RegisterEnquiryV1
from services import journey
from services.runtime.broker import start_producer
from services.runtime.kafka_access import KafkaAccess
from services.runtime.waiting import broker_up

log = structlog.get_logger(__name__)


class PublishFailed(RuntimeError):  # noqa: N818 - a state of the broker, not a bug
    """The broker did not take the application in time: the applicant may send it again."""


class Publisher(Protocol):
    """Where the form sends an application; started and stopped with the web process."""

    async def start(self) -> None:
        """Be ready to publish."""
        ...

    async def stop(self) -> None:
        """Let go of the broker."""
        ...

    async def ping(self) -> object:
        """Ask the broker something (the readiness probe); false or raising: not ready."""
        ...

    async def publish(self, enquiry: RegisterEnquiryV1, envelope: Envelope) -> None:
        """Send one application and wait for it to be taken; `PublishFailed` if it is not."""
        ...


def envelope_for(enquiry: RegisterEnquiryV1) -> Envelope:
    """The case's first envelope: from the force's portal, keyed by the submission id (no case
    reference exists yet), so two sends of one submission stay in order on one partition."""
    return first_envelope(
        type=enquiry.TYPE,
        source=source_of(enquiry.force, PORTAL),
        subject=enquiry.submission_id,
        time=enquiry.received_at,
    )


class KafkaPublisher:
    """Publishes to `inbox.<force>.from.<force>.v1` as `<force>.portal` through one producer."""

    def __init__(
        self,
        access: KafkaAccess,
        *,
        force: str,
        timeout_seconds: float = 10.0,
        startup_wait_seconds: float = 180.0,
    ) -> None:
        self._access = access
        self._force = force
        self._topic = topics.inbox(force, force)
        self._timeout = timeout_seconds
        self._startup_wait = startup_wait_seconds
        self._producer: AIOKafkaProducer | None = None
        self._stale = False  # a send through it failed: replace it before the next
        self._replacing = asyncio.Lock()

    async def start(self) -> None:
        """Start the producer, waiting for a broker that is still starting (bounded)."""
        self._producer = await broker_up(
            lambda: start_producer(self._access, client_id=f"{self._force}.{PORTAL}"),
            bootstrap=self._access.bootstrap,
            within=self._startup_wait,
        )
        log.info("portal_producer_started", force=self._force)

    async def stop(self) -> None:
        """Flush and stop the producer."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ping(self) -> object:
        """The broker's metadata through the kept producer."""
        if self._producer is None:
            return False
        return await self._producer.client.fetch_all_metadata()

    async def publish(self, enquiry: RegisterEnquiryV1, envelope: Envelope) -> None:
        """Send the enquiry to the force's inbox and wait for the broker's acknowledgement."""
        if self._producer is None:
            raise PublishFailed("the producer is not started")
        if enquiry.force != self._force:
            raise ValueError(f"force: this portal sends to {self._force} only")
        producer = await self._fresh_producer()
        try:
            await asyncio.wait_for(
                journey.send(producer, self._topic, enquiry, envelope), self._timeout
            )
        except (KafkaError, TimeoutError) as exc:
            # A producer that lost every broker may never recover its connections or its
            # sequence numbers: the next application goes through a new one.
            self._stale = True
            raise PublishFailed(type(exc).__name__) from exc

    async def _fresh_producer(self) -> AIOKafkaProducer:
        """The kept producer, or a new one in its place once a send through it failed."""
        async with self._replacing:
            assert self._producer is not None
            if not self._stale:
                return self._producer
            try:
                fresh = await start_producer(self._access, client_id=f"{self._force}.{PORTAL}")
            except KafkaError as exc:
                raise PublishFailed(type(exc).__name__) from exc  # still no broker
            old, self._producer, self._stale = self._producer, fresh, False
            log.warning("portal_producer_replaced", force=self._force)
        with contextlib.suppress(KafkaError, TimeoutError):
            await asyncio.wait_for(old.stop(), 5.0)
        return fresh
