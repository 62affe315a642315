"""`csods ops ...`: what the teams who run the system look at."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from schemas import topics
from services.access.operator import principal_access, tenant_keys
from services.ops import mi, rebuild, streams
from services.runtime import audit
from services.runtime.clock import SystemClock
from services.runtime.settings import Settings

app = typer.Typer(
    no_args_is_help=True, help="Deadlines, management information, lag, dead letters."
)
dlq_app = typer.Typer(no_args_is_help=True, help="A force's dead letters: list, show, replay.")
app.add_typer(dlq_app, name="dlq")
console = Console()

Forces = Annotated[list[str], typer.Option("--force", help="A force served (repeat for more).")]
Force = Annotated[str, typer.Option("--force", help="The force.")]


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@app.command("rebuild")
def rebuild_command(
    force: Force,
    compare: Annotated[bool, typer.Option(help="Compare it with the live read model.")] = True,
) -> None:
    """Rebuild a force's read model from its topics, from the beginning, into a fresh table set."""
    settings = Settings(tenant=force)
    report = asyncio.run(rebuild.rebuild(settings, access=principal_access(force, "ops")))
    console.print(
        f"rebuilt {force} into schema {report.schema}: {report.records} records read,"
        f" {report.applied} applied, {report.duplicates} duplicates,"
        f" {sum(report.rejected.values())} rejected, in {report.seconds:.2f} s"
        f" ({report.per_second:.0f} events/s)"
    )
    for reason, count in sorted(report.rejected.items()):
        console.print(f"  rejected {count}: {reason}")
    if compare:
        found = asyncio.run(rebuild.differences(settings))
        if any(found.values()):
            console.print(
                f"[red]differs from the live read model: {found}[/red] (events written after"
                " the rebuild took the topics' ends are in the live model only)"
            )
            raise typer.Exit(1)
        console.print("[green]equal to the live read model[/green]")


@app.command("mi")
def mi_command(
    forces: Forces,
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included).")],
    csv_path: Annotated[Path, typer.Option("--csv", help="Where to write the CSV.")] = Path(
        "mi.csv"
    ),
    charts: Annotated[Path | None, typer.Option(help="A folder for one PNG per force.")] = None,
) -> None:
    """Management information per force for a period: the 2009 press release's table, and CSV."""
    first, last = _day(start), _day(end) + timedelta(days=1)
    table = asyncio.run(_figures(forces, first, last))
    console.print(render(table, first, last))
    mi.write_csv(csv_path, table)
    console.print(f"[dim]CSV written to {csv_path}[/dim]")
    for each in table[:-1] if charts else ():
        assert charts is not None
        try:
            made = mi.chart(charts / f"mi-{each.force}.png", each)
        except mi.ChartsNotInstalled as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        console.print(f"[dim]chart: {made}[/dim]")


async def _figures(forces: list[str], first: datetime, last: datetime) -> list[mi.Figures]:
    """Each force's figures, read as that force's ops login: one sees no other's rows."""
    now = SystemClock().now()
    found = []
    for force in forces:
        database = await rebuild.open_schema(Settings(tenant=force), rebuild.LIVE_SCHEMA)
        try:
            async with database.transaction(force) as tx:
                found.append(await mi.figures(tx, start=first, end=last, now=now))
        finally:
            await database.pool.close()
    return [*found, mi.overall(found, start=first, end=last)]


def render(table: list[mi.Figures], first: datetime, last: datetime) -> Table:
    """The press release's table: the overall figures first, then each force."""
    shown = Table(
        title="Provisional management information from the forces,"
        f" {first:%-d %B %Y} - {last - timedelta(days=1):%-d %B %Y}",
        show_header=False,
    )
    shown.add_column("figure")
    shown.add_column("value", justify="right")
    for each in [table[-1], *table[:-1]]:
        name = "Overall Figures" if each.force == "overall" else each.force.capitalize()
        shown.add_row(f"[bold]{name}[/bold]", "", end_section=False)
        for label, value in mi.lines(each):
            shown.add_row(f"  {label}", value)
        shown.add_section()
    return shown


@app.command("lag")
def lag_command(forces: Forces) -> None:
    """Per topic and consumer group: lag in messages and seconds; outbox backlog per service."""
    settings = Settings(tenant=forces[0])
    now = SystemClock().now()
    lags = [
        lag
        for force in forces
        for lag in asyncio.run(
            streams.consumer_lag(principal_access(force, "ops"), force=force, now=now)
        )
    ]
    table = Table(title="Consumer lag")
    for column in ("group", "topic", "messages", "seconds"):
        table.add_column(column, justify="right" if column in {"messages", "seconds"} else "left")
    for lag in lags:
        seconds = "-" if lag.seconds is None else f"{lag.seconds:.1f}"  # '-': ops may not read it
        table.add_row(lag.group, lag.topic, str(lag.messages), seconds)
    console.print(table)
    backlog = asyncio.run(streams.outbox_backlog(settings.database_url, forces=forces))
    table = Table(title="Outbox backlog")
    for column in ("service", "force", "pending", "oldest waiting"):
        table.add_column(column)
    for row in backlog:
        waited = streams.age(row.oldest_at, now)
        table.add_row(row.schema, row.force, str(row.pending), str(waited or "-"))
    console.print(table)


Ref = Annotated[str | None, typer.Argument(help="partition:offset (or an offset)")]
ConsumerOpt = Annotated[str | None, typer.Option("--consumer", help="Only this consumer's.")]
TopicOpt = Annotated[str | None, typer.Option("--topic", help="Only from this topic.")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="Only this ce_type.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Reason contains this.")]


@dlq_app.command("list")
def dlq_list(
    force: Force,
    consumer: ConsumerOpt = None,
    topic: TopicOpt = None,
    type_: TypeOpt = None,
    reason: ReasonOpt = None,
) -> None:
    """A force's dead letters with their reasons (never their payloads)."""
    letters = _letters(force, None, streams.Filter(consumer, topic, type_, reason))
    table = Table(title=f"Dead letters of {force}")
    for column in ("ref", "when", "consumer", "from topic", "type", "reason"):
        table.add_column(column)
    for letter in letters:
        earlier = "".join(f"\n  earlier: {text}" for text in letter.earlier_reasons)
        table.add_row(
            letter.ref,
            f"{letter.timestamp:%Y-%m-%d %H:%M:%S}",
            letter.header("dlq_consumer"),
            letter.header("dlq_topic"),
            letter.header("ce_type"),
            letter.reason + earlier,
        )
    console.print(table)


@dlq_app.command("show")
def dlq_show(force: Force, ref: Annotated[str, typer.Argument(help="partition:offset")]) -> None:
    """One dead letter: safe headers, reasons, and its payload redacted by classification."""
    letters = _letters(force, ref, streams.Filter())
    if not letters:
        console.print(f"[red]no dead letter {ref}[/red]")
        raise typer.Exit(1)
    for letter in letters:
        console.print_json(json.dumps(letter.shown()))


@dlq_app.command("replay")
def dlq_replay(  # noqa: PLR0917 - a Typer command takes its options as parameters
    force: Force,
    by: Annotated[str, typer.Option(help="Who replays: your name or number, for the audit log.")],
    why: Annotated[str, typer.Option(help="Why they are replayed, for the audit log.")],
    ref: Ref = None,
    consumer: ConsumerOpt = None,
    topic: TopicOpt = None,
    type_: TypeOpt = None,
    reason: ReasonOpt = None,
    every: Annotated[bool, typer.Option("--all", help="Replay every dead letter.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be replayed; send nothing.")
    ] = False,
) -> None:
    """Send dead letters back to the consumers that refused them, one by ref or by filter.

    Each one replayed is first written to the force's audit log with who replayed it and why.
    """
    where = streams.Filter(consumer, topic, type_, reason)
    if ref is None and where == streams.Filter() and not every:
        console.print("[red]name a dead letter, give a filter, or say --all[/red]")
        raise typer.Exit(2)
    if len(by.strip()) < 2 or len(why.strip()) < 3:
        console.print(
            "[red]--by names who you are and --why says why (the audit log keeps both)[/red]"
        )
        raise typer.Exit(2)
    letters = _letters(force, ref, where)
    if dry_run:
        for letter in letters:
            if streams.replayable(letter):
                console.print(
                    f"would replay {letter.ref} ({letter.header('ce_type')}) to"
                    f" {letter.header('dlq_consumer')} via {topics.replays(force)}, as from"
                    f" {streams.original_topic(letter)}; refused for: {letter.reason}"
                )
            else:
                console.print(f"would skip {letter.ref}: it names no topic or consumer")
        console.print(f"dry run: {sum(map(streams.replayable, letters))} would be replayed")
        return
    sent = asyncio.run(_replay(force, letters, by=by.strip(), why=why.strip()))
    console.print(f"{sent} replayed")


async def _replay(force: str, letters: list[streams.DeadLetter], *, by: str, why: str) -> int:
    """Replay as the force's ops principal, each letter audited as its ops login first."""
    database = await rebuild.open_schema(Settings(tenant=force), rebuild.LIVE_SCHEMA)

    async def audit_it(letter: streams.DeadLetter) -> None:
        async with database.transaction(force) as tx:
            await tx.audit(
                audit.Action.REPLAY,
                at=SystemClock().now(),
                actor=f"ops/{by}",
                case_ref=letter.header("ce_subject") or None,
                recipients=(letter.header("dlq_consumer"),),
                reason=f"replayed {letter.ref} from {streams.original_topic(letter)}: {why}",
            )

    try:
        return await streams.replay(
            principal_access(force, "ops"),
            letters,
            force=force,
            before_sending=audit_it,
            on_sent=lambda letter: console.print(
                f"replayed {letter.ref} to {letter.header('dlq_consumer')} via"
                f" {topics.replays(force)}, as from {streams.original_topic(letter)}"
            ),
        )
    finally:
        await database.pool.close()


def _letters(force: str, ref: str | None, where: streams.Filter) -> list[streams.DeadLetter]:
    letters = asyncio.run(
        streams.dead_letters(principal_access(force, "ops"), force=force, keys=tenant_keys())
    )
    return streams.select(letters, ref=ref, where=where)


@app.command("seed")
def seed_command(
    force: Force,
    copies: Annotated[int, typer.Option(help="How many times to repeat each study.")] = 1,
) -> None:
    """Publish the four 2009 case studies (and three open cases) on a force's streams."""
    from services.ops import case_studies  # noqa: PLC0415 - only this command needs it

    now = SystemClock().now()
    events = [
        event
        for copy in range(copies)
        for number in (1, 2, 3, 4)
        for event in case_studies.case_study(
            force,
            number,
            start=now - timedelta(days=40 + (copy * 7 + number) % 300),
            case_number=copy * 4 + number,
        )
    ]
    events += case_studies.open_cases(force, now=now, first_number=copies * 4 + 1)
    # As each stream's own writer: the ops principal may write none of them.
    asyncio.run(case_studies.publish(lambda service: principal_access(force, service), events))
    console.print(f"{len(events)} events published for {force}")


@app.command("look")
def look_command(
    url: Annotated[str, typer.Option(help="The dashboard's address.")],
    screenshot: Annotated[Path | None, typer.Option(help="Where to save a PNG.")] = None,
) -> None:
    """Open the dashboard in headless Chromium and print what it shows."""
    from services.ops import browser  # noqa: PLC0415 - installs a browser on first use

    shown = browser.look(url, screenshot, progress=lambda text: console.print(f"[dim]{text}[/dim]"))
    console.print_json(json.dumps(shown))
