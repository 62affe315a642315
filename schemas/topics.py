"""The topic map: tenant first (ACLs by prefix), major version last (DESIGN.md section 3)."""

from __future__ import annotations


def stream(tenant: str, service: str, event: str) -> str:
    """A tenant-private stream: only that tenant reads or writes it."""
    return f"cso.{tenant}.{service}.{event}.v1"


def inbox(tenant: str) -> str:
    """A tenant's inbox: any tenant may write to it, only its owner reads it."""
    return f"inbox.{tenant}.v1"


def dead_letters(tenant: str) -> str:
    """A tenant's dead-letter topic."""
    return f"dlq.{tenant}.v1"


def tenant_of(topic: str) -> str:
    """The tenant a topic belongs to."""
    return topic.split(".")[1]
