"""Names of the bare baseline's hops; imports nothing heavy, so a hop process stays bare."""

from __future__ import annotations

HOPS = 4  # the services a case crosses: intake, checks, multiagency, disclosure


def hop_topic(tenant: str, hop: int) -> str:
    """The topic baseline hop `hop` writes (hop 0 is where the load driver writes)."""
    return f"bench.{tenant}.hop{hop}.v1"


def hop_type(hop: int) -> str:
    """The ce_type of what baseline hop `hop` emits."""
    return f"bench.baseline.hop{hop}.v1"


def hop_group(tenant: str, hop: int) -> str:
    """The consumer group of baseline hop `hop`."""
    return f"{tenant}.baseline-hop{hop}"
