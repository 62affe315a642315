"""`csods casework serve`: one force's staff application, in front of its service APIs."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from services.casework.app import create_app
from services.casework.backends import SERVICES, Backends
from services.runtime.logs import configure_logging
from services.runtime.service import staff_issuer
from services.runtime.settings import Settings

app = typer.Typer(no_args_is_help=True, help="The staff application of a force.")


def service_urls(force: str) -> dict[str, str]:
    """Each service's API address: CSODS_CASEWORK_<SERVICE>_URL, for this force."""
    urls = {name: os.environ.get(f"CSODS_CASEWORK_{name.upper()}_URL", "") for name in SERVICES}
    missing = [name for name, url in urls.items() if not url]
    if missing:
        names = ", ".join(f"CSODS_CASEWORK_{name.upper()}_URL" for name in missing)
        raise typer.BadParameter(f"{force}: set {names} to the service APIs' addresses")
    return urls


@app.command()
def serve(
    force: Annotated[str, typer.Option(help="The force whose staff it serves.")],
    port: Annotated[int, typer.Option(help="The port to serve on (127.0.0.1).")] = 8080,
    host: Annotated[str, typer.Option(help="The address to serve on.")] = "127.0.0.1",
) -> None:
    """Serve the work list, search, case pages and steps of one force's staff."""
    configure_logging()
    settings = Settings(tenant=force)
    backends = Backends(service_urls(force), force=force)
    web = create_app(force=force, backends=backends, issuer=staff_issuer(settings))
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False)
