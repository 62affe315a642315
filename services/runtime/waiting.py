"""Waiting for a broker that is still starting or recovering, for a bounded time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import stamina
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


class _StillStarting(Exception):  # noqa: N818 - a state of the broker, not an error
    """A call failed only because the broker is not up yet: worth waiting for."""


async def broker_up(call: Callable[[], Awaitable[_T]], *, bootstrap: str, within: float) -> _T:
    """Run a call to the broker, waiting while the broker is not up yet, for `within` seconds
    at most, with backoff and jitter; what is not a wait is raised at once."""
    try:
        async for attempt in stamina.retry_context(
            on=_StillStarting,
            attempts=None,
            timeout=within,
            wait_initial=0.5,
            wait_max=10.0,
            wait_jitter=1.0,
            name="waiting_for_broker",
        ):
            with attempt:
                try:
                    return await call()
                except Exception as exc:
                    if not await not_up_yet(exc, bootstrap):
                        raise
                    log.warning("waiting_for_broker", error=type(exc).__name__, attempt=attempt.num)
                    raise _StillStarting from exc
    except _StillStarting as waited:
        raise waited.__cause__ or waited from None  # the broker's own error, as it was
    raise AssertionError("not reached: the last attempt returns or raises")
