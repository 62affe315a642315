"""`csods access`: provision the broker's walls, show them, take a tenant away."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    no_args_is_help=True,
    help="Kafka principals, ACLs and topics, and database login roles, per tenant.",
)
console = Console() if sys.stdout.isatty() else Console(width=160)


@app.command("provision")
def provision_command(
    force: Annotated[
        list[str] | None,
        typer.Option(help="A force to provision with its agencies; default: the pilot forces."),
    ] = None,
    partitions: Annotated[int, typer.Option(help="Partitions of topics made.")] = 3,
    replication: Annotated[
        int | None,
        typer.Option(help="Replicas of topics made; default: 3 on three brokers or more, else 1."),
    ] = None,
) -> None:
    """Make every topic, principal and ACL the forces need; running it again changes nothing."""
    from services.access.broker import provision
    from services.access.database import provision_database
    from services.access.operator import credential_store, operator_access, owner_database_url
    from services.demo.system import PILOT_FORCES, deployment

    wanted, store = deployment(force or PILOT_FORCES), credential_store()
    made = provision(
        operator_access(), wanted, store, partitions=partitions, replication=replication
    )
    logins = provision_database(owner_database_url(), wanted, store)
    console.print(
        f"provisioned: {made.principals} principals, {made.acls} ACLs, "
        f"{made.topics_created} topics created, {logins} database login roles"
    )


@app.command("strimzi")
def strimzi_command(
    force: Annotated[
        list[str] | None,
        typer.Option(help="A force with its agencies; default: the pilot forces."),
    ] = None,
    cluster: Annotated[str, typer.Option(help="The Strimzi Kafka cluster's name.")] = "csods",
    replicas: Annotated[int, typer.Option(min=1, help="Replicas of every topic.")] = 3,
) -> None:
    """Print the KafkaTopic and KafkaUser resources (with ACLs) of Strimzi for the forces."""
    from services.access.strimzi import documents, resources
    from services.demo.system import PILOT_FORCES, deployment

    found = resources(deployment(force or PILOT_FORCES), cluster=cluster, replicas=replicas)
    sys.stdout.write(documents(found))


@app.command("show")
def show_command(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's principals.")] = None,
) -> None:
    """Print who may do what on the broker, as the broker answers."""
    from services.access.broker import acl_table
    from services.access.operator import operator_access

    table = Table("principal", "permission", "operation", "resource", "name")
    rows = acl_table(operator_access(), tenant)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"{len(rows)} ACLs")


@app.command("deprovision")
def deprovision_command(
    tenant: Annotated[str, typer.Option(help="The tenant to remove.")],
) -> None:
    """Remove a tenant's principals, their ACLs, and the topics it owns or sends on."""
    from services.access.broker import deprovision
    from services.access.database import deprovision_database
    from services.access.operator import credential_store, operator_access, owner_database_url

    store = credential_store()
    gone = deprovision(operator_access(), tenant, store)
    logins = deprovision_database(owner_database_url(), [tenant], store)
    console.print(
        f"deprovisioned {tenant}: {gone.principals} principals, {gone.acls} ACLs, "
        f"{gone.topics_created} topics deleted, {logins} database login roles dropped"
    )
