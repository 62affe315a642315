"""Latency percentiles computed exactly from every sample, never estimated."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p99", 0.99), ("p999", 0.999))


@dataclass(frozen=True)
class Latency:
    """Percentiles of one latency, in milliseconds; None where a missing sample lands."""

    count: int
    missing: int
    p50: float | None
    p99: float | None
    p999: float | None
    max: float | None
    mean: float | None

    def below(self, seconds: float) -> bool:
        """Whether p99 is known and under `seconds`."""
        return self.p99 is not None and self.p99 < seconds * 1000


def percentile(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank percentile of an ascending sequence (no interpolation)."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def summarise(seconds: Sequence[float], *, missing: int = 0) -> Latency:
    """Summarise samples in seconds; a missing sample counts as infinitely late."""
    # A case that never arrived must not make the percentiles look better: it sorts last.
    ordered = sorted(value * 1000 for value in seconds) + [math.inf] * missing

    def finite(value: float) -> float | None:
        return None if math.isinf(value) else round(value, 3)

    if not ordered:
        return Latency(0, 0, None, None, None, None, None)
    points = {name: finite(percentile(ordered, q)) for name, q in QUANTILES}
    mean = sum(ordered) / len(ordered)
    return Latency(
        count=len(seconds),
        missing=missing,
        p50=points["p50"],
        p99=points["p99"],
        p999=points["p999"],
        max=finite(ordered[-1]),
        mean=finite(mean),
    )
