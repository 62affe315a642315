"""`csods bench`: the entry point of the benchmark harness."""

from __future__ import annotations

import asyncio
import logging
import os
import time

from rich.console import Console
from rich.markup import escape

from bench.config import parse
from bench.harness import run_bench
from deploy.local import stack
from services.runtime.logs import configure_logging


def main(args: list[str]) -> int:
    """Run the benchmark on the local stack (or CSODS_* addresses) and print its summary."""
    config = parse(args)
    # The services' code we call in-process (migrations of the ops rebuild) logs as they do;
    # here only warnings matter. Fresh topics make aiokafka warn while leaders are elected.
    configure_logging(json=False, level="warning")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    console = Console()
    began = time.monotonic()

    def say(text: str) -> None:
        console.print(
            f"[dim]{time.monotonic() - began:7.1f}s {escape(text)}[/dim]", highlight=False
        )

    bootstrap = os.environ.get("CSODS_KAFKA_BOOTSTRAP")
    server_url = os.environ.get("CSODS_DATABASE_URL")
    started: list[str] = []
    if not (bootstrap and server_url):
        addresses, started = stack.up(progress=say)
        bootstrap, server_url = addresses.kafka_bootstrap, addresses.database_url
    try:
        outcome = asyncio.run(
            run_bench(config, bootstrap=bootstrap, server_url=server_url, say=say)
        )
    finally:
        if started:
            stack.down(only=started, progress=say)  # only what this run started
    # Plain text: a figure's "[target: ...]" is not markup.
    console.print(outcome.summary, highlight=False, soft_wrap=True, markup=False)
    return 0 if outcome.document["checker"]["ran"] else 1
