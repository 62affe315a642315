"""Every process's health, the same everywhere: `/health/live` and `/health/ready`.

Live: the process answers. Ready: it can do its work now, its database and its broker both
answering within a short time. Served on the HTTP port of a service with an API and on the
metrics port of every process, stand-ins included, so an orchestrator probes them all alike.
Neither says more than which part failed: no address, no credential, no error text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

PROBE_SECONDS = 2.0

Probe = Callable[[], Awaitable[object]]


def install_health(app: FastAPI, *, service: str, tenant: str, probes: dict[str, Probe]) -> None:
    """Add the two health routes; `probes` are what readiness asks, by name."""

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        """The process answers."""
        return {"status": "live", "service": service, "tenant": tenant}

    @app.get("/health/ready", tags=["health"], responses={503: {"description": "not ready"}})
    async def ready() -> JSONResponse:
        """Whether the database and the broker both answer now."""
        checks = {name: await passes(probe) for name, probe in probes.items()}
        fit = all(result == "ok" for result in checks.values())
        body = {"status": "ready" if fit else "not-ready", "service": service, "checks": checks}
        return JSONResponse(body, status_code=200 if fit else 503)


async def passes(probe: Probe) -> str:
    """'ok' when the probe answers in time, else 'failing' (never why: it may name addresses)."""
    try:
        answered = await asyncio.wait_for(probe(), PROBE_SECONDS)
    except Exception:  # noqa: BLE001 - any failure is "not answering"; its text may hold addresses
        return "failing"
    return "failing" if answered is False else "ok"
