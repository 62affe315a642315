"""`csods`: run services, the local stack, the demo and the tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.access import cli as access_cli
from services.casework import cli as casework_cli
from services.checks import cli as checks_cli
from services.multiagency import cli as multiagency_cli
from services.ops import cli as ops_cli
from services.portal import cli as portal_cli

app = typer.Typer(no_args_is_help=True, help="The Child Sex Offender Disclosure Scheme exchange.")
stack_app = typer.Typer(no_args_is_help=True, help="The local Kafka and PostgreSQL, no Docker.")
app.add_typer(stack_app, name="stack")
schemas_app = typer.Typer(no_args_is_help=True, help="The message contracts in schemas/generated.")
app.add_typer(schemas_app, name="schemas")
app.add_typer(checks_cli.app, name="stubs")
app.add_typer(multiagency_cli.app, name="agencies")
app.add_typer(ops_cli.app, name="ops")
app.add_typer(casework_cli.app, name="casework")
app.add_typer(portal_cli.app, name="portal")
app.add_typer(access_cli.app, name="access")
staff_app = typer.Typer(no_args_is_help=True, help="Staff sign-in to the forces' staff APIs.")
app.add_typer(staff_app, name="staff")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit logs.")
app.add_typer(audit_app, name="audit")
database_app = typer.Typer(no_args_is_help=True, help="The services' schemas, as their owner.")
app.add_typer(database_app, name="database")
settings_app = typer.Typer(
    no_args_is_help=True, help="Every process's settings (docs/settings.md)."
)
app.add_typer(settings_app, name="settings")
deploy_app = typer.Typer(
    no_args_is_help=True, help="The deployment for more than one machine (deploy/helm)."
)
app.add_typer(deploy_app, name="deploy")
# Wide enough for the demo's tables when written to a file or a CI log.
console = Console() if sys.stdout.isatty() else Console(width=140)


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        typer.echo(f"csods {version('csods')}")
        raise typer.Exit


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and stop."
        ),
    ] = False,
) -> None:
    """The Child Sex Offender Disclosure Scheme exchange."""


@app.command()
def run(
    service: Annotated[str, typer.Argument(help="A service or stand-in (services/catalogue.py)")],
    tenant: Annotated[str, typer.Option(help="The force this instance serves.")],
) -> None:
    """Run one service for one force until SIGTERM or Ctrl-C."""
    from services.catalogue import definition
    from services.runtime.service import StartRefused
    from services.runtime.service import run as run_service
    from services.runtime.settings import Settings

    if not os.environ.get("CSODS_KAFKA_BOOTSTRAP"):
        # No deployment named: the local stack, with its own authority and credential store.
        from deploy.local import stack

        for name, value in stack.addresses().client_env().items():
            os.environ.setdefault(name, value)
    settings = Settings(tenant=tenant)  # the rest comes from CSODS_* variables
    try:
        asyncio.run(run_service(definition(service), settings))
    except StartRefused as exc:
        print(f"csods run {service} --tenant {tenant}: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[str, typer.Option(help="The force or agency whose chains to check.")],
) -> None:
    """Check a tenant's audit chain in every schema end to end; name the first broken entry."""
    from services.runtime.audit_check import verify

    # As the schema owner: CSODS_DATABASE_URL, or the local stack's.
    url = os.environ.get("CSODS_DATABASE_URL")
    if not url:
        from deploy.local import stack

        url = stack.addresses().database_url
    reports = asyncio.run(verify(url, tenant))
    for report in reports:
        if report.intact:
            console.print(f"{report.schema}: {report.entries} entries, intact")
        else:
            console.print(
                f"[red]{report.schema}: broken at entry {report.first_broken}[/red] "
                f"(of {report.entries} kept): altered, removed or out of order"
            )
    broken = [report for report in reports if not report.intact]
    console.print(f"{len(reports) - len(broken)} of {len(reports)} chains intact for {tenant}")
    raise typer.Exit(1 if broken else 0)


@settings_app.command("write")
def settings_write() -> None:
    """Regenerate docs/settings.md from the settings models."""
    from services import settings_reference

    changed = settings_reference.write()
    typer.echo(f"{settings_reference.PAGE.name}: {'written' if changed else 'current'}")


@database_app.command("migrate")
def database_migrate(
    service: Annotated[
        list[str] | None, typer.Option(help="A service or stand-in; default: every one.")
    ] = None,
) -> None:
    """Apply every pending migration as the schema owner (CSODS_DATABASE_URL), so the
    services can start with CSODS_MIGRATE_AT_START=false and only their own login."""
    from services.access.operator import owner_database_url
    from services.catalogue import RUNNABLE, definition
    from services.runtime.service import migrate_service

    async def all_of(names: list[str]) -> None:
        owner = owner_database_url()
        for name in names:
            applied = await migrate_service(definition(name), owner)
            console.print(f"{name}: {len(applied)} migrations applied")

    asyncio.run(all_of(service or list(RUNNABLE)))


@staff_app.command("token")
def staff_token(
    force: Annotated[str, typer.Option(help="The force whose issuer signs you in.")],
    user: Annotated[
        str, typer.Option(help="Who, in the local issuer's directory.")
    ] = "case-officer",
) -> None:
    """Print a token from the force's local issuer, for `Authorization: Bearer`."""
    from services.identity.client import SignInRefused, local_token
    from services.identity.realms import DIRECTORY

    if user not in DIRECTORY:
        console.print(f"[red]user: none of {', '.join(DIRECTORY)}[/red]")
        raise typer.Exit(2)
    try:
        typer.echo(local_token(force, user))
    except (SignInRefused, OSError) as exc:
        console.print(f"[red]{exc}[/red] (is the stack up? ./dev stack up)")
        raise typer.Exit(1) from exc


@staff_app.command("password")
def staff_password(
    force: Annotated[str, typer.Option(help="The force's realm.")],
    user: Annotated[str, typer.Option(help="Who, in the local issuer's directory.")] = "ops",
) -> None:
    """Print a local issuer user's password, to sign in to a dashboard in a browser."""
    from deploy.local import issuer, stack
    from services.identity.realms import Realms

    realms = Realms(stack.addresses().issuer_folder, issuer.base_url())
    typer.echo(realms.password(force, user))


@stack_app.command("up")
def stack_up(
    brokers: Annotated[
        int | None,
        typer.Option(
            help="Kafka nodes: 1, or 3 for replication factor 3 and min.insync.replicas 2 "
            "(default: as the stack was first made, else 1; CSODS_STACK_KAFKA_BROKERS)."
        ),
    ] = None,
) -> None:
    """Start Kafka and PostgreSQL (fetching and initialising them the first time)."""
    from deploy.local import kafka, stack

    if brokers is not None:
        os.environ[kafka.BROKERS_VARIABLE] = str(brokers)

    addresses, started = stack.up(progress=lambda text: console.print(f"[dim]{text}[/dim]"))
    console.print(f"started: {', '.join(started) or 'nothing (already running)'}")
    console.print(f"CSODS_KAFKA_BOOTSTRAP={addresses.kafka_bootstrap}")
    # soft_wrap: the URL stays on one line, to copy into an `export`.
    console.print(f"CSODS_DATABASE_URL={addresses.database_url}", soft_wrap=True)


@stack_app.command("down")
def stack_down() -> None:
    """Stop Kafka and PostgreSQL; their data stays for next time."""
    from deploy.local import stack

    stopped = stack.down(progress=lambda text: console.print(f"[dim]{text}[/dim]"))
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack_app.command("status")
def stack_status() -> None:
    """Say what runs where: each Kafka node, and the partitions short of replicas."""
    from deploy.local import kafka, stack

    table = Table()
    for column in ("component", "state", "address", "pid", "detail"):
        table.add_column(column)
    for component in stack.status():
        table.add_row(
            component.name,
            "[green]running[/green]" if component.running else "[red]stopped[/red]",
            component.address,
            str(component.pid or ""),
            component.detail,
        )
    console.print(table)
    root = stack.project_root()
    if kafka.running_pid(root) is None:
        return
    try:
        state = kafka.cluster_state(root)
    except Exception as exc:  # noqa: BLE001 - a status page says what it could not ask
        console.print(f"[red]kafka: the cluster did not answer ({type(exc).__name__})[/red]")
        return
    console.print(
        f"kafka: {len(state.brokers)} of {kafka.brokers(root)} nodes registered "
        f"(ids {', '.join(map(str, state.brokers))}); "
        f"{len(state.under_replicated)} partitions under-replicated, "
        f"{len(state.offline)} offline"
    )
    for name in (*state.offline, *state.under_replicated)[:20]:
        console.print(f"  {name}: {'offline' if name in state.offline else 'under-replicated'}")


@schemas_app.command("write")
def schemas_write(
    allow_breaking: Annotated[
        bool, typer.Option(help="Write even a breaking change (it needs a new .v2 type).")
    ] = False,
) -> None:
    """Regenerate JSON Schema, AsyncAPI and the reference page; refuse breaking changes."""
    from schemas.artefacts import write

    try:
        changed = write(allow_breaking=allow_breaking)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print("\n".join(changed) or "everything was current")


@schemas_app.command("release")
def schemas_release() -> None:
    """Mark the committed contracts as released: from then on the gate holds the models to
    them, even against a change written with --allow-breaking."""
    from schemas.artefacts import release

    try:
        commit = release()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"released the contracts of {commit[:12]}; commit schemas/RELEASED")


@schemas_app.command("check")
def schemas_check() -> None:
    """Fail when a generated contract is stale or a change is not backward compatible."""
    from schemas.artefacts import check

    try:
        problems = check()
    except ValueError as exc:  # the released commit cannot be read (e.g. a shallow clone)
        problems = [str(exc)]
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if problems:
        raise typer.Exit(1)
    console.print("contracts current and backward compatible")


@schemas_app.command("validate")
def schemas_validate() -> None:
    """Validate the AsyncAPI documents with the AsyncAPI project's own CLI."""
    from deploy.local.asyncapi_cli import validate
    from schemas.artefacts import GENERATED

    verdicts = validate(sorted((GENERATED / "asyncapi").glob("*.json")), progress=console.print)
    for verdict in verdicts:
        state = "[green]valid[/green]" if verdict.valid else "[red]invalid[/red]"
        console.print(f"{verdict.path.name}: {state}")
        if not verdict.valid:
            console.print(verdict.output)
    if not all(verdict.valid for verdict in verdicts):
        raise typer.Exit(1)


@app.command()
def demo(
    keep: Annotated[bool, typer.Option(help="Leave the system running to explore.")] = False,
    stop: Annotated[bool, typer.Option(help="Stop what --keep left running.")] = False,
    skeleton: Annotated[
        bool, typer.Option(help="Only push one portal enquiry through one force, quickly.")
    ] = False,
) -> None:
    """Run the four pilot forces and play the 2009 case studies and a cross-force case."""
    from services.demo import run_demo
    from services.demo.play import play_case_studies, stop_kept

    if stop:
        raise typer.Exit(stop_kept(console))
    if skeleton:
        raise typer.Exit(run_demo(console, tenant="warwickshire"))
    raise typer.Exit(play_case_studies(console, keep=keep))


@app.command("test", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run_tests(
    ctx: typer.Context,
    lint: Annotated[bool, typer.Option(help="Run ruff and mypy --strict first.")] = True,
) -> None:
    """Lint, type-check, check the contracts, then run every test tier on the real stack."""
    if lint:
        packages = ["schemas", "services", "deploy", "bench", "tests"]
        for command in (
            [sys.executable, "-m", "ruff", "check", "."],
            [sys.executable, "-m", "mypy", "--strict", *packages],
            [sys.executable, "-m", "services", "schemas", "check"],
        ):
            console.print(f"[bold]$ {' '.join(command[2:])}[/bold]")
            if subprocess.run(command, check=False).returncode != 0:
                raise typer.Exit(1)
    command = [sys.executable, "-m", "pytest", *ctx.args]
    console.print(f"[bold]$ pytest {' '.join(ctx.args)}[/bold]")
    raise typer.Exit(subprocess.run(command, check=False, env=os.environ.copy()).returncode)


@deploy_app.command("check")
def deploy_check() -> None:
    """Lint and render the Helm chart, validate every object it makes and the Strimzi
    resources against their schemas (Helm, kubeconform and the schemas are fetched once)."""
    from deploy.local import manifests

    checked = manifests.check(progress=lambda text: console.print(f"[dim]{text}[/dim]"))
    for problem in checked.problems:
        console.print(f"[red]{problem}[/red]", highlight=False)
    console.print(
        f"{checked.kubernetes_objects} Kubernetes objects, {checked.strimzi_resources} Strimzi "
        f"resources: {'valid' if checked.valid else f'{len(checked.problems)} problems'}"
    )
    raise typer.Exit(0 if checked.valid else 1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context) -> None:
    """Measure the pipeline against a bare Kafka + PostgreSQL baseline (never part of tests)."""
    from bench.run import main as run_bench

    raise typer.Exit(run_bench(list(ctx.args)))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,  # its own --help lists its flags
)
def faults(ctx: typer.Context) -> None:
    """Strike one fault at a time under load, on a stack of its own; check nothing was lost."""
    from bench.faults.run import main as run_faults

    raise typer.Exit(run_faults(list(ctx.args)))


def main() -> None:
    """The console entry point."""
    app()
