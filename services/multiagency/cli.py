"""`csods agencies ...`: the children's-social-care and probation stand-ins."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="The children's-social-care and probation stand-ins.")


@app.command()
def seed(
    agency: Annotated[str, typer.Argument(help="childrens-social-care or probation")],
    tenant: Annotated[str, typer.Option(help="The agency tenant, e.g. csc-warwickshire.")],
    seed: Annotated[int, typer.Option(help="The same seed gives the same records.")] = 1,
    count: Annotated[int, typer.Option(min=0, help="How many records.")] = 50,
) -> None:
    """Seed a stand-in's records deterministically, replacing the ones seeded before."""
    # Imported here: `csods stack ...` should not pay for Faker and the database client.
    from services.multiagency.stubs import seeding  # noqa: PLC0415
    from services.runtime.settings import Settings  # noqa: PLC0415

    database_url = Settings(tenant=tenant).database_url  # CSODS_DATABASE_URL, as the owner
    seeded = asyncio.run(
        seeding.seed(
            agency=agency, tenant=tenant, seed=seed, count=count, database_url=database_url
        )
    )
    typer.echo(f"{seeded} records seeded for {tenant} ({agency}, seed {seed})")
