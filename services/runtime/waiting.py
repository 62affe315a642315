"""Waiting for a broker that is still starting or recovering, for a bounded time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

log = structlog.get_logger(__name__)

_T = TypeVar("_T")


async def listening(bootstrap: str) -> bool:
    """Whether any bootstrap address accepts a TCP connection at all."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 5.0)
        except (OSError, TimeoutError, ValueError):
            continue
        writer.close()
        return True
    return False


async def not_up_yet(exc: BaseException, bootstrap: str) -> bool:
    """A broker still starting or recovering its logs: to be waited for, not a verdict on the
    settings (a refusal, a bad credential or a TLS failure is one). The client reports a
    credential the broker refused as a failure to connect, so a failure to connect is a wait
    only while nothing listens at the bootstrap address."""
    if isinstance(exc, KafkaConnectionError | ConnectionError):
        return not await listening(bootstrap)
    if isinstance(exc, KafkaTimeoutError):
        return True
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))


async def broker_up(call: Callable[[], Awaitable[_T]], *, bootstrap: str, within: float) -> _T:
    """Run a call to the broker, waiting while the broker is not up yet, for `within` seconds
    at most; what is not a wait is raised at once."""
    deadline = time.monotonic() + within
    delay = 0.5
    while True:
        try:
            return await call()
        except Exception as exc:
            left = deadline - time.monotonic()
            if left <= 0 or not await not_up_yet(exc, bootstrap):
                raise
            log.warning(
                "waiting_for_broker", error=type(exc).__name__, retry_in=delay, left=round(left)
            )
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, 10.0)
