"""`csods stubs ...`: the national-system stand-ins of the checks service."""

from __future__ import annotations

import typer

app = typer.Typer(
    no_args_is_help=True, help="The PNC, ViSOR, INI and local-intelligence stand-ins."
)
