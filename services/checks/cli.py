"""`csods stubs ...`: the national-system stand-ins of the checks service."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from services.checks.stubs import loading
from services.checks.stubs.bench import percentile, run_evaluation, run_labelled
from services.checks.stubs.evaluation import Report
from services.checks.stubs.seed.holdings import Tenants
from services.checks.stubs.seed.load import Plan, migrate_stubs, seed
from services.checks.stubs.seed.places import DEFAULT_FORCES

app = typer.Typer(
    no_args_is_help=True, help="The PNC, ViSOR, INI and local-intelligence stand-ins."
)
console = Console(width=140)
_DSN = "postgresql://csods@127.0.0.1:15432/csods"
T = TypeVar("T")


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
    labelled: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="A force's own labelled questions (docs/stubs-csv.md) instead of generated ones.",
        ),
    ] = None,
) -> None:
    """Precision and recall of the matcher on labelled queries: generated from the seeded
    PNC, or a force's own file of questions and right answers."""
    if labelled is None:
        report = asyncio.run(
            run_evaluation(_owner_dsn(), tenant=pnc, queries=queries, seed=seed_value)
        )
    else:
        questions = _or_exit(lambda: loading.read_rows(labelled, loading.LabelledRow))
        report = asyncio.run(run_labelled(_owner_dsn(), tenant=pnc, rows=questions))
    _print_report(report)


@app.command("load")
def load_command(
    nominals: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="nominals.csv (docs/stubs-csv.md)")
    ],
    *,
    system: Annotated[str, typer.Option(help="pnc, visor, ini or local-intelligence.")],
    tenant: Annotated[str, typer.Option(help="The tenant whose system it is.")],
    records: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="records.csv: what each person has."),
    ] = None,
) -> None:
    """Add a force's own people and their records to a stand-in, from documented CSV files,
    to test the matching on its own data: all rows or none."""
    if system not in loading.SYSTEMS:
        console.print(f"[red]--system: one of {', '.join(loading.SYSTEMS)}[/red]")
        raise typer.Exit(2)
    people = _or_exit(lambda: loading.read_rows(nominals, loading.NominalRow))
    held = _or_exit(lambda: loading.read_rows(records, loading.RecordRow) if records else [])
    added = _or_exit(lambda: asyncio.run(_load(system, tenant, people, held)))
    console.print(f"{added.nominals:,} people and {added.records:,} records added to {tenant}")


async def _load(
    system: str,
    tenant: str,
    people: list[loading.NominalRow],
    held: list[loading.RecordRow],
) -> loading.Loaded:
    await migrate_stubs(_owner_dsn())
    conn = await asyncpg.connect(_owner_dsn())
    try:
        return await loading.load(conn, system=system, tenant=tenant, nominals=people, records=held)
    finally:
        await conn.close()


def _or_exit(step: Callable[[], T]) -> T:
    """Run one step; a refused file stops the command with the row, column and rule."""
    try:
        return step()
    except loading.BadFileError as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(2) from None


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
