"""`csods bench`: the entry point of the benchmark harness."""

from __future__ import annotations


def main(args: list[str]) -> int:
    """Run the benchmark; not built yet."""
    raise SystemExit("the benchmark harness is not built yet (issue 9)")
