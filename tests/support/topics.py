"""The session's own topics, deleted when it ends, so a long-used broker does not fill up."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

from schemas import topics


async def forget(bootstrap: str, tenants: Iterable[str]) -> int:
    """Delete every topic of the given test tenants (and the tenants derived from them)."""
    prefixes = tuple(tenants)
    if not prefixes:
        return 0
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [
            name
            for name in await admin.list_topics()
            if name.count(".") >= 2 and topics.tenant_of(name).startswith(prefixes)
        ]
        if mine:
            await admin.delete_topics(mine)
        return len(mine)
    finally:
        await admin.close()
