"""The rules of the checks (5.1.9, 5.2.12, 5.4.4): pure functions, no I/O."""

from __future__ import annotations

from schemas.checks import System


def systems_reachable() -> tuple[System, ...]:
    """The systems this deployment can query.

    None yet: the PNC, ViSOR, INI and local-intelligence adapters arrive with the stubs
    (issue 5). Completing with an empty list says plainly that nothing was checked.
    """
    return ()
