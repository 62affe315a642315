"""What keeps the public form from being abused: signed cookies, a rate limit, a body limit.

None of it keeps anything about a person: the rate limit remembers client addresses and
counts, in memory, for a window; the cookies hold random ids and a submission's id.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.frontend.pages import Forms
from services.runtime.clock import Clock


def sign(forms: Forms, purpose: str, value: str) -> str:
    """`value` with our signature for `purpose`, to keep in a cookie."""
    return f"{value}.{forms.token(f'{purpose}:{value}')}"


def signed_value(forms: Forms, purpose: str, signed: str) -> str | None:
    """The value of a cookie we signed for `purpose`; none for anything else."""
    value, _, signature = signed.rpartition(".")
    if not value or not forms.valid(f"{purpose}:{value}", signature):
        return None
    return value


@dataclass
class _Bucket:
    tokens: float
    at: datetime


class RateLimit:
    """A token bucket per client address: `capacity` sends, refilled over `per_seconds`.

    In memory, for one process; the longest idle addresses are forgotten past `remembered`,
    which forgives them (a full bucket is what a new address gets anyway).
    """

    def __init__(
        self, *, capacity: int, per_seconds: float, clock: Clock, remembered: int = 100_000
    ) -> None:
        self._capacity = float(capacity)
        self._rate = capacity / per_seconds
        self._clock = clock
        self._remembered = remembered
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, address: str) -> float | None:
        """Take one send for `address`: none if allowed, else the seconds until one is."""
        bucket = self._refilled(address)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self._rate

    def give_back(self, address: str) -> None:
        """Return a send that did not happen (the broker did not take it)."""
        bucket = self._refilled(address)
        bucket.tokens = min(self._capacity, bucket.tokens + 1.0)

    def _refilled(self, address: str) -> _Bucket:
        now = self._clock.now()
        bucket = self._buckets.pop(address, None)
        if bucket is None:
            bucket = _Bucket(self._capacity, now)
        else:
            elapsed = max(0.0, (now - bucket.at).total_seconds())
            bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._rate)
            bucket.at = now
        self._buckets[address] = bucket  # most recently used last
        while len(self._buckets) > self._remembered:
            self._buckets.popitem(last=False)
        return bucket


def retry_after(seconds: float) -> str:
    """A Retry-After header's value: whole seconds, rounded up."""
    return str(max(1, math.ceil(seconds)))


class BodyLimit:
    """ASGI middleware: a request body larger than `max_bytes` is refused unread (413).

    The body is read here, up to the limit, before the application sees any of it, whether
    or not the request says its length; the application then reads it as sent.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, too_large: Callable[[], Response]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self.too_large()(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self.too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
