"""`csods agencies ...`: the children's-social-care and probation stand-ins."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="The children's-social-care and probation stand-ins.")
