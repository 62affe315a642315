"""The topic map: tenant first (ACLs by prefix), major version last (architecture §3)."""

from __future__ import annotations

import re

# Tenant names are lower-case words joined by '-' (schemas.types.Tenant): never a '.'.
_INBOX = re.compile(r"^inbox\.(?P<receiver>[a-z0-9-]+)\.from\.(?P<sender>[a-z0-9-]+)\.v1$")


def stream(tenant: str, service: str, event: str) -> str:
    """A tenant-private stream: only that tenant reads or writes it."""
    return f"cso.{tenant}.{service}.{event}.v1"


def inbox(receiver: str, sender: str) -> str:
    """The inbox `receiver` reads what `sender` sends it on; only `sender` may write to it.

    Kafka does not tell a consumer who wrote a record, so the topic does: the broker lets
    only the sender's principals write here (architecture §5, a sender is proven).
    """
    return f"inbox.{receiver}.from.{sender}.v1"


def inbox_prefix(receiver: str) -> str:
    """The prefix of every inbox a tenant reads: one per tenant that may send to it."""
    return f"inbox.{receiver}.from."


def inbox_pattern(receiver: str) -> str:
    """A regular expression matching every inbox of `receiver`, whoever the sender."""
    return rf"inbox\.{re.escape(receiver)}\.from\.[a-z0-9-]+\.v1"


def sender_of(topic: str) -> str | None:
    """The tenant an inbox's name proves as its writer; None for a topic that is no inbox."""
    match = _INBOX.match(topic)
    return None if match is None else match.group("sender")


def dead_letters(tenant: str) -> str:
    """A tenant's dead-letter topic."""
    return f"dlq.{tenant}.v1"


def replays(tenant: str) -> str:
    """Dead letters a force's ops team sends back to the consumer that refused them."""
    return f"replay.{tenant}.v1"


def tenant_of(topic: str) -> str:
    """The tenant a topic belongs to (an inbox: its receiver)."""
    return topic.split(".")[1]
