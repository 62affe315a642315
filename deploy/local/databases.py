"""Fresh databases on a server: one per test session, or per demo run."""

from __future__ import annotations

import uuid

import asyncpg


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


def database_name(url: str) -> str:
    """The database a URL names (its path, without the query)."""
    return url.partition("?")[0].rpartition("/")[2]


async def create_database(server_url: str, prefix: str = "csods_test") -> str:
    """Create an empty database and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, url: str) -> None:
    """Drop a database made by `create_database`, closing its connections."""
    name = database_name(url)
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
