"""`./dev demo`: the four pilot forces run locally, playing the case studies through them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import asyncpg
from rich.console import Console
from rich.table import Table

from deploy.local import stack
from deploy.local.databases import create_database, database_name
from services.demo import cast
from services.demo.stories import STORIES, Story
from services.demo.system import PILOT_FORCES, LocalSystem, bring_up, deployment, plan
from services.demo.worker import CaseWorker
from services.identity.client import local_token

# Short waits where a person or an agency would take days: the story plays in a minute.
DEMO_ENV = {
    "CSODS_OUTBOX_POLL_SECONDS": "0.5",
    # A bound, not a pause: every stand-in answers at once, and a case waits this long only
    # on a machine too busy to let one answer; a silent system would send it to a forum.
    "CSODS_CHECKS_ANSWER_WAIT_SECONDS": "60",
    "CSODS_CHECKS_SWEEP_SECONDS": "1",
    "CSODS_MULTIAGENCY_TIMER_SECONDS": "1",
    "CSODS_MULTIAGENCY_CONSULTATION_SECONDS": "20",
    "CSODS_DISCLOSURE_NO_CONCERNS": "visit",
}


@dataclass(frozen=True)
class Played:
    """How one story ended."""

    story: Story
    case: str | None
    outcome: str | None
    seconds: float
    error: str | None = None
    found: Found | None = None


@dataclass(frozen=True)
class Found:
    """What the system itself recorded of a case: the facts its story is held to."""

    route: str | None
    categories: frozenset[str]
    forum: str | None
    recipients: tuple[str, ...]
    protective_actions: frozenset[str]
    referrals: int


def found_of(worker: CaseWorker, force: str, case: str) -> Found:
    """Read a closed case's record from the force's multi-agency and disclosure services."""
    assessed = worker.call("GET", "multiagency", force, f"/cases/{case}")
    closed = worker.call("GET", "disclosure", force, f"/cases/{case}")
    forum = assessed.get("forum")
    return Found(
        route=assessed.get("route"),
        categories=frozenset(assessed.get("categories") or ()),
        forum=forum["forum"] if forum and forum.get("decided_at") else None,
        recipients=tuple(closed.get("recipients") or ()),
        protective_actions=frozenset(closed.get("protective_actions_taken") or ()),
        referrals=len(assessed.get("referrals") or ()),
    )


PIDS = stack.project_root() / ".stack" / "demo.pids"


def stop_kept(console: Console) -> int:
    """Stop what `--keep` left running: the demo's processes, then the stack."""
    if PIDS.exists():
        for line in PIDS.read_text().split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(line), signal.SIGTERM)
        PIDS.unlink()
    stopped = stack.down()
    console.print(f"stopped the demo's services and {', '.join(stopped) or 'no stack'}")
    return 0


def play_case_studies(console: Console, *, keep: bool = False) -> int:
    """Start everything, play the stories, print paths and figures; 0 when all ended right."""
    say, addresses, started = bring_up(console, deployment(PILOT_FORCES), "the pilot forces")
    database_url = asyncio.run(create_database(addresses.database_url, prefix="csods_demo"))
    say(f"a fresh database for this run: {database_name(database_url)}")
    log_dir = stack.project_root() / ".stack" / "logs" / "demo"
    system = LocalSystem(
        plan(PILOT_FORCES),
        {
            **addresses.client_env(),
            "CSODS_DATABASE_URL": database_url,
            **DEMO_ENV,
        },
        log_dir,
    )
    # The case worker signs in to each force's issuer as its case officer (every stage's role).
    worker = CaseWorker(system.url, lambda force: local_token(force, "case-officer"))
    kept = False
    try:
        say(f"starting {len(system.parts)} processes for {', '.join(PILOT_FORCES)}")
        system.start(on_ready=lambda part: say(f"  ready: {part.label}"), say=say)
        entered = asyncio.run(cast.enter(database_url))
        say(
            f"the case studies' subjects entered into PNC, ViSOR, INI and local intelligence "
            f"({entered} records)"
        )
        played = play(console, worker)
        _print_outcomes(console, played)
        asyncio.run(_print_flags(console, database_url))
        asyncio.run(_print_figures(console, database_url))
        failed = [result for result in played if result.outcome != result.story.expected_outcome]
        if keep:
            _print_keep(console, system, database_url)
            kept = True
        return 1 if failed else 0
    finally:
        worker.release()
        # Kept only once the stories have been played and the processes recorded: a start
        # that fails (or anything else that raises) stops everything it started, so nothing
        # is left running that `--stop` does not know of.
        if not kept:
            system.stop()
            stopped = stack.down(only=started, progress=say) if started else []
            say(
                f"stopped {len(system.parts)} processes"
                + (f" and {', '.join(stopped)}" if stopped else "")
            )


def play(console: Console, worker: CaseWorker) -> list[Played]:
    """Play every story at once, each in its own thread, as separate case workers would."""

    def one(story: Story) -> Played:
        began = time.monotonic()
        try:
            case = story.play(worker, story)
            record = worker.disclosure_case(story.force, case, {"closed"})
            console.print(f"  [green]closed[/green] {case}: {story.title}")
            seen = found_of(worker, story.force, case)
            return Played(story, case, str(record["outcome"]), time.monotonic() - began, found=seen)
        except Exception as exc:  # noqa: BLE001 - one story's failure is reported, not raised
            console.print(f"  [red]failed[/red] {story.title}: {str(exc)[:300]}")
            return Played(story, None, None, time.monotonic() - began, str(exc)[:120])

    console.print(f"[bold]Playing {len(STORIES)} cases[/bold]")
    with ThreadPoolExecutor(max_workers=len(STORIES)) as pool:
        return list(pool.map(one, STORIES))


def _print_outcomes(console: Console, played: list[Played]) -> None:
    table = Table(title="Each case and how it ended")
    for column in ("case", "force", "story", "outcome", "as in 2009", "seconds"):
        table.add_column(column)
    for result in played:
        right = result.outcome == result.story.expected_outcome
        table.add_row(
            result.case or "-",
            result.story.force,
            result.story.title,
            result.outcome or f"[red]{result.error or 'none'}[/red]",
            "[green]yes[/green]" if right else "[red]no[/red]",
            f"{result.seconds:.0f}",
        )
    console.print(table)


FLAG_COLUMNS = ("force", "case_reference", "subject_reference", "requests", "forces")


def flagged_forces(stories: tuple[Story, ...] = STORIES) -> frozenset[str]:
    """The forces INI should flag: those whose story's subject another story asks about too."""
    asked = Counter(story.subject for story in stories)
    return frozenset(story.force for story in stories if asked[story.subject] > 1)


async def flags(
    database_url: str,
    *,
    forces: tuple[str, ...] = PILOT_FORCES,
    expect: frozenset[str] = frozenset(),
    within: float = 30.0,
) -> list[dict[str, str]]:
    """INI's flags as the forces hold them (6.1), once every force expected, and every force
    a flag names, holds its own; or what there is after `within` seconds."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + within
        while True:
            rows = await conn.fetch(
                "SELECT tenant AS force, case_reference, subject_reference, forces, requests"
                " FROM disclosure.repeated_requests WHERE tenant = ANY($1)"
                " ORDER BY subject_reference, tenant",
                list(forces),
            )
            listed = [json.loads(row["requests"]) for row in rows]
            concerned = {request["force"] for requests in listed for request in requests}
            told = {row["force"] for row in rows}
            if (concerned | expect) <= told or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    return [
        {**{key: str(row[key]) for key in FLAG_COLUMNS}, "requests": str(len(requests))}
        for row, requests in zip(rows, listed, strict=True)
    ]


async def _print_flags(console: Console, database_url: str) -> None:
    table = Table(title="Subjects with several requests, as INI flagged them to each force (6.1)")
    for column in ("force", "its case", "subject (INI)", "requests", "forces"):
        table.add_column(column)
    for row in await flags(database_url, expect=flagged_forces()):
        table.add_row(*(row[key] for key in FLAG_COLUMNS))
    console.print(table)


async def figures(database_url: str) -> dict[str, tuple[int, int, int]]:
    """Enquiries, applications and disclosures per force, as the press release counts them."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT e.tenant AS force, count(*) AS enquiries,"
            " count(*) FILTER (WHERE e.application_recorded_at IS NOT NULL"
            "   AND e.status <> 'intelligence') AS applications,"
            " count(d.case_reference) FILTER (WHERE d.disclosed) AS disclosures"
            " FROM intake.enquiries e LEFT JOIN disclosure.cases d"
            "   ON d.tenant = e.tenant AND d.case_reference = e.case_reference"
            " GROUP BY e.tenant"
        )
    finally:
        await conn.close()
    return {
        row["force"]: (int(row["enquiries"]), int(row["applications"]), int(row["disclosures"]))
        for row in rows
    }


async def _print_figures(console: Console, database_url: str) -> None:
    """The management information in the form of the press release's note 2."""
    by_force = await figures(database_url)
    table = Table(title="Management information (as in the press release, note 2)")
    for column in ("", "enquiries", "applications", "disclosures"):
        table.add_column(column, justify="right" if column else "left")
    totals = [0, 0, 0]
    for force in PILOT_FORCES:
        counted = by_force.get(force, (0, 0, 0))
        totals = [total + figure for total, figure in zip(totals, counted, strict=True)]
        table.add_row(force.title(), *map(str, counted))
    table.add_row("[bold]Overall[/bold]", *(f"[bold]{total}[/bold]" for total in totals))
    console.print(table)


def _print_keep(console: Console, system: LocalSystem, database_url: str) -> None:
    pids = [str(process.pid) for process in system.processes.values()]
    PIDS.write_text("\n".join(pids) + "\n")
    console.print("[bold]Left running[/bold]; stop it all with ./dev demo --stop")
    for (service, force), port in sorted(system.ports.items()):
        if service == "casework":
            console.print(f"  staff application of {force}: http://127.0.0.1:{port}/")
        elif service == "portal":
            console.print(f"  public online form of {force}: http://127.0.0.1:{port}/")
        else:
            console.print(f"  {service}@{force}: http://127.0.0.1:{port}/docs")
    console.print(f"  database: {database_url}")
    console.print(
        "  staff tokens (Authorize in /docs), from each force's local issuer: "
        "./dev staff token --force <force> --user case-officer (or ops, decision-maker, ...)"
    )
    console.print(
        "  the staff applications and the ops dashboards sign you in through the force's issuer"
        " as case-officer (every stage's role); its password: "
        "./dev staff password --force <force> --user case-officer"
    )
