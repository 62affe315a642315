"""`csods stubs ...`: the national-system stand-ins of the checks service."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.checks.stubs.bench import percentile, run_evaluation
from services.checks.stubs.evaluation import Report
from services.checks.stubs.seed.holdings import Tenants
from services.checks.stubs.seed.load import Plan, seed
from services.checks.stubs.seed.places import DEFAULT_FORCES

app = typer.Typer(
    no_args_is_help=True, help="The PNC, ViSOR, INI and local-intelligence stand-ins."
)
console = Console(width=140)
_DSN = "postgresql://csods@127.0.0.1:15432/csods"


def _owner_dsn() -> str:
    return os.environ.get("CSODS_DATABASE_URL", _DSN)


@app.command("seed")
def seed_command(
    *,
    nominals: Annotated[int, typer.Option(min=1, help="PNC nominals to generate.")] = 10_000,
    seed_value: Annotated[int, typer.Option("--seed", help="The generator's seed.")] = 1,
    forces: Annotated[
        str, typer.Option(help="Comma-separated forces people live in (local intelligence).")
    ] = ",".join(DEFAULT_FORCES),
    pnc: Annotated[str, typer.Option(help="The tenant running PNC.")] = "pnc",
    visor: Annotated[str, typer.Option(help="The tenant running ViSOR.")] = "visor",
    ini: Annotated[str, typer.Option(help="The tenant running INI.")] = "ini",
) -> None:
    """Fill the stand-ins with synthetic people: the same seed gives the same people."""
    plan = Plan(
        nominals=nominals,
        seed=seed_value,
        forces=tuple(force.strip() for force in forces.split(",") if force.strip()),
        tenants=Tenants(pnc=pnc, visor=visor, ini=ini),
    )
    loaded = asyncio.run(
        seed(_owner_dsn(), plan, progress=lambda text: console.print(f"[dim]{text}[/dim]"))
    )
    for table, count in sorted(loaded.rows.items()):
        console.print(f"{table}: {count:,} rows")
    timings = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in loaded.seconds.items())
    console.print(f"{nominals:,} nominals seeded ({timings})")


def _print_report(report: Report) -> None:
    table = Table(
        "query",
        "asked",
        "match (right)",
        "match (wrong)",
        "possible",
        "with truth",
        "no trace",
        "insufficient",
    )
    for kind, tally in report.kinds.items():
        table.add_row(
            kind,
            str(tally.asked),
            str(tally.right_match),
            str(tally.wrong_match),
            str(tally.outcomes["possible-match"]),
            str(tally.referred_with_truth),
            str(tally.outcomes["no-trace"]),
            str(tally.outcomes["insufficient-detail"]),
        )
    console.print(table)
    figures = report.figures()
    console.print(
        f"precision {figures['precision']:.4f}, recall {figures['recall']:.4f}, "
        f"recall with a researcher {figures['recall_with_researcher']:.4f}; "
        f"decoys matched {figures['decoys_matched']:.0f} of {figures['decoys']:.0f}"
    )
    p50, p99 = percentile(report.seconds, 0.5), percentile(report.seconds, 0.99)
    console.print(
        f"one search: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
        f"over {len(report.seconds)} searches"
    )


@app.command("evaluate")
def evaluate_command(
    *,
    queries: Annotated[int, typer.Option(min=1, help="Labelled queries to ask.")] = 1000,
    seed_value: Annotated[int, typer.Option("--seed", help="The sample's seed.")] = 7,
    pnc: Annotated[str, typer.Option(help="The tenant running PNC.")] = "pnc",
) -> None:
    """Precision and recall of the matcher on labelled queries against the seeded PNC."""
    report = asyncio.run(run_evaluation(_owner_dsn(), tenant=pnc, queries=queries, seed=seed_value))
    _print_report(report)


@app.command("bench")
def bench_command(
    *,
    nominals: Annotated[int, typer.Option(min=1, help="PNC nominals to seed first.")] = 1_000_000,
    queries: Annotated[int, typer.Option(min=1, help="Searches to time.")] = 1000,
    seed_value: Annotated[int, typer.Option("--seed", help="The generator's seed.")] = 1,
) -> None:
    """Seed N nominals (timed), then time one subject search p50/p99 (never part of tests)."""
    plan = Plan(nominals=nominals, seed=seed_value, forces=DEFAULT_FORCES)
    loaded = asyncio.run(seed(_owner_dsn(), plan))
    console.print(
        f"seeded {nominals:,} nominals in {loaded.seconds['total']:.1f} s "
        f"(generate and copy {loaded.seconds['generate_and_copy']:.1f} s)"
    )
    report = asyncio.run(
        run_evaluation(_owner_dsn(), tenant="pnc", queries=queries, seed=seed_value + 6)
    )
    _print_report(report)
