"""What a bench run offers and for how long: the defaults, the smoke preset, the flags."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class BenchConfig:
    """Every knob of a run; the defaults fit in 30 minutes on a 2-core machine."""

    # Finer where a 2-core machine saturates; a sweep stops after its first failed rate.
    rates: tuple[float, ...] = (2, 5, 8, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200)
    duration: float = 30.0
    drain_timeout: float = 90.0
    warmup_cases: int = 30  # connections, group joins, first-time code paths, plan caches
    cost_rate: float | None = None  # None: half the pipeline's sustained rate
    cost_levels: tuple[int, ...] = (1_000, 100_000)
    partitions: int = 3
    keep_going: bool = False
    baseline: bool = True
    cost: bool = True
    keep: bool = False
    smoke: bool = False
    tenant: str | None = None
    results_dir: Path = RESULTS
    log_dir: Path | None = None


# A few seconds: proves the harness end to end, measures nothing worth quoting.
SMOKE = BenchConfig(
    rates=(2, 5),
    duration=2.0,
    drain_timeout=30.0,
    warmup_cases=2,
    cost_rate=5.0,
    cost_levels=(100, 1_000),
    keep_going=True,
    smoke=True,
)


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def parse(args: Sequence[str]) -> BenchConfig:
    """Read `csods bench` flags into a config."""
    parser = argparse.ArgumentParser(
        prog="csods bench",
        description="Measure the pipeline against a bare Kafka + PostgreSQL baseline.",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny rates for a few seconds")
    parser.add_argument("--rates", type=_numbers, help="offered rates, cases/s: 5,20,50")
    parser.add_argument("--duration", type=float, help="seconds each rate is offered")
    parser.add_argument("--drain-timeout", type=float, help="seconds allowed to clear a backlog")
    parser.add_argument("--warmup-cases", type=int, help="unmeasured cases sent first")
    parser.add_argument("--cost-rate", type=float, help="the moderate rate of the cost figure")
    parser.add_argument("--cost-levels", type=_numbers, help="closed cases present: 1000,100000")
    parser.add_argument("--partitions", type=int, help="partitions of every bench topic")
    parser.add_argument(
        "--keep-going", action="store_true", help="offer every rate, even past saturation"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare baseline")
    parser.add_argument("--no-cost", action="store_true", help="skip the cost-growth figure")
    parser.add_argument("--keep", action="store_true", help="keep the database and topics")
    parser.add_argument("--tenant", help="tenant name (default: a fresh one)")
    parser.add_argument("--results-dir", type=Path, help="where the JSON and PNG go")
    parser.add_argument("--log-dir", type=Path, help="where the process logs go")
    flags = parser.parse_args(list(args))
    config = SMOKE if flags.smoke else BenchConfig()
    changes: dict[str, object] = {
        "rates": flags.rates,
        "duration": flags.duration,
        "drain_timeout": flags.drain_timeout,
        "warmup_cases": flags.warmup_cases,
        "cost_rate": flags.cost_rate,
        "cost_levels": tuple(int(level) for level in flags.cost_levels)
        if flags.cost_levels
        else None,
        "partitions": flags.partitions,
        "tenant": flags.tenant,
        "results_dir": flags.results_dir,
        "log_dir": flags.log_dir,
    }
    if flags.keep_going:
        changes["keep_going"] = True
    if flags.no_baseline:
        changes["baseline"] = False
    if flags.no_cost:
        changes["cost"] = False
    if flags.keep:
        changes["keep"] = True
    return replace(config, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
