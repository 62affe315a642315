"""`csods portal serve`: one force's public online form, sending to its inbox as its portal."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from schemas.catalogue import PORTAL
from services.frontend import assets
from services.portal.app import create_app
from services.portal.config import PortalSettings
from services.portal.publisher import KafkaPublisher
from services.runtime.clock import SystemClock
from services.runtime.kafka_access import AccessError, access_for
from services.runtime.logs import configure_logging
from services.runtime.settings import Settings

app = typer.Typer(no_args_is_help=True, help="The public online form of a force.")


@app.command()
def serve(
    force: Annotated[str, typer.Option(help="The force the applications are made to.")],
    port: Annotated[int, typer.Option(help="The port to serve on.")] = 8090,
    host: Annotated[str, typer.Option(help="The address to serve on.")] = "127.0.0.1",
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Proxies whose X-Forwarded-For names the client (the rate limit's address)."
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the start page, the application form and its confirmation for one force."""
    if not os.environ.get("CSODS_KAFKA_BOOTSTRAP"):
        # No deployment named: the local stack, with its own authority and credential store.
        from deploy.local import stack  # noqa: PLC0415 - only without a deployment

        for name, value in stack.addresses().client_env().items():
            os.environ.setdefault(name, value)
    settings = Settings(tenant=force)  # the broker and the credentials, from CSODS_*
    configure_logging(json=settings.log_json, level=settings.log_level)
    portal = PortalSettings()
    try:
        access = access_for(settings, PORTAL)
    except AccessError as exc:  # not provisioned, or a credential setting is wrong
        typer.echo(
            f"csods portal serve --force {force}: {exc} (is the force provisioned? "
            "csods access provision)",
            err=True,
        )
        raise typer.Exit(2) from None
    publisher = KafkaPublisher(
        access,
        force=force,
        timeout_seconds=portal.publish_timeout_seconds,
        startup_wait_seconds=settings.startup_wait_seconds,
    )
    web = create_app(
        force=force,
        publisher=publisher,
        assets_folder=assets.build(),
        clock=SystemClock(),
        settings=portal,
    )
    # No access log: a client's address is personal data, and the pages' paths say nothing.
    uvicorn.run(
        web,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )
