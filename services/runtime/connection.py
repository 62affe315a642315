"""The connection type repositories take: a plain asyncpg connection or a pooled one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
T = TypeVar("T")


async def fetch_one(
    conn: Connection, into: Callable[[asyncpg.Record], T], query: str, *args: object
) -> T | None:
    """The one row `query` finds, made into a T by `into`; None when it finds none."""
    row = await conn.fetchrow(query, *args)
    return None if row is None else into(row)
