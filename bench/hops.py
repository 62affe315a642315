"""Names of the bare baseline's hops; imports nothing heavy, so a hop process stays bare."""

from __future__ import annotations

# How many hops the baseline has is measured from the pipeline in the same run (bench/fair.py):
# one per record a service or stand-in applies for a case, so the floor makes as many hops.
FALLBACK_HOPS = 4  # the services a case crosses, when no pipeline ran first to measure
# The baseline's principals besides its hops (each `<tenant>.<name>`), as the pipeline has its
# online portal sending and its ops team watching.
LOAD = "baseline-load"
OBSERVER = "baseline-observer"


def hop_topic(tenant: str, hop: int) -> str:
    """The topic baseline hop `hop` writes (hop 0 is where the load driver writes)."""
    return f"bench.{tenant}.hop{hop}.v1"


def hop_type(hop: int) -> str:
    """The ce_type of what baseline hop `hop` emits."""
    return f"bench.baseline.hop{hop}.v1"


def hop_service(hop: int) -> str:
    """The service name of baseline hop `hop`: its principal and group are `<tenant>.<it>`."""
    return f"baseline-hop{hop}"


def hop_group(tenant: str, hop: int) -> str:
    """The consumer group of baseline hop `hop`, named as its principal, as a service's is."""
    return f"{tenant}.{hop_service(hop)}"
