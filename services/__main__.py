"""`python -m services ...` is the `csods` command."""

from services.cli import main

main()
