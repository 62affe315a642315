"""`csods ops ...`: what the teams who run the system look at."""

from __future__ import annotations

import typer

app = typer.Typer(
    no_args_is_help=True, help="Deadlines, management information, lag, dead letters."
)
