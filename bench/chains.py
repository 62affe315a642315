"""What one case passes through: the pipeline's four services, or the bare baseline's hops."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from schemas import topics
from schemas.checks import ChecksCompletedV1
from schemas.disclosure import CaseClosedV1
from schemas.intake import EnquiryRegisteredV1
from schemas.multiagency import ForumDecidedV1
from services.catalogue import SERVICES, definition
from services.demo import case_topics
from services.runtime.clock import SystemClock
from services.runtime.service import group_id

PIPELINE = "pipeline"
BASELINE = "baseline"
HOPS = 4  # the services a case crosses: intake, checks, multiagency, disclosure


@dataclass(frozen=True)
class Stage:
    """A point a case reaches: the message type that marks it, and where it is published."""

    label: str
    topic: str
    type: str


@dataclass(frozen=True)
class Chain:
    """How cases of one tenant enter, which stages they reach, and who consumes what."""

    name: str
    tenant: str
    entry: str
    stages: tuple[Stage, ...]
    groups: Mapping[str, tuple[str, ...]]
    observed: tuple[str, ...]

    @property
    def final(self) -> Stage:
        """The stage that ends a case."""
        return self.stages[-1]

    @property
    def topics(self) -> tuple[str, ...]:
        """Every topic of the chain."""
        return tuple(dict.fromkeys([self.entry, *self.observed, *(s.topic for s in self.stages)]))


def pipeline_chain(tenant: str) -> Chain:
    """The four services of one force, as a case crosses them today."""
    clock = SystemClock()
    # The groups and their topics come from the services' own wiring, so they stay true.
    groups = {
        group_id(tenant, name): tuple(
            subscription.topic for subscription in definition(name).wire(tenant, clock).subscriptions
        )
        for name in SERVICES
    }
    stages = (
        Stage("intake", topics.stream(tenant, "intake", "enquiry-registered"), EnquiryRegisteredV1.TYPE),
        Stage("checks", topics.stream(tenant, "checks", "checks-completed"), ChecksCompletedV1.TYPE),
        Stage(
            "multiagency", topics.stream(tenant, "multiagency", "forum-decided"), ForumDecidedV1.TYPE
        ),
        Stage("disclosure", topics.stream(tenant, "disclosure", "case-closed"), CaseClosedV1.TYPE),
    )
    return Chain(
        name=PIPELINE,
        tenant=tenant,
        entry=topics.inbox(tenant),
        stages=stages,
        groups=groups,
        # The inbox and the check requests too: a seeding template needs every message id.
        observed=tuple(case_topics(tenant)),
    )


def hop_topic(tenant: str, hop: int) -> str:
    """The topic baseline hop `hop` writes (hop 0 is where the load driver writes)."""
    return f"bench.{tenant}.hop{hop}.v1"


def hop_type(hop: int) -> str:
    """The ce_type of what baseline hop `hop` emits."""
    return f"bench.baseline.hop{hop}.v1"


def hop_group(tenant: str, hop: int) -> str:
    """The consumer group of baseline hop `hop`."""
    return f"{tenant}.baseline-hop{hop}"


def baseline_chain(tenant: str) -> Chain:
    """The bare chain: as many hops as the pipeline has services, no framework."""
    stages = tuple(
        Stage(f"hop{hop}", hop_topic(tenant, hop), hop_type(hop)) for hop in range(1, HOPS + 1)
    )
    return Chain(
        name=BASELINE,
        tenant=tenant,
        entry=hop_topic(tenant, 0),
        stages=stages,
        groups={hop_group(tenant, hop): (hop_topic(tenant, hop - 1),) for hop in range(1, HOPS + 1)},
        observed=tuple(stage.topic for stage in stages),
    )
