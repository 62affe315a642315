"""The force's services, as the staff application calls them: with the officer's own token.

The application holds no database or broker credentials and keeps no case data: each page
is read from the services' APIs, and each step is a command on the service that owns it, so
every wall and rule stays where it is (architecture §5, §7). A read carries the officer's
purpose, for the service's audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from services.runtime.health import Probe
from services.runtime.reads import PURPOSE_HEADER

SERVICES = ("intake", "multiagency", "disclosure", "ops")
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass(frozen=True)
class Answer:
    """What a service answered: its status and JSON body (None when it sent none)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def problems(self) -> list[tuple[str, str]]:
        """The field and rule of each refusal (services.runtime.http.Problems)."""
        if not isinstance(self.body, dict):
            return [("form", "the service did not answer; try again shortly")]
        return [
            (str(error.get("field", "form")), str(error.get("rule", "")))
            for error in self.body.get("errors", [])
        ]


class Backends:
    """HTTP clients for the force's services, one base URL each."""

    def __init__(self, urls: dict[str, str], *, force: str, verify: str | bool = True) -> None:
        missing = [name for name in SERVICES if not urls.get(name)]
        if missing:
            raise ValueError(f"casework: no address for {', '.join(missing)}")
        self.force = force
        self._clients = {
            name: httpx.AsyncClient(base_url=url.rstrip("/"), timeout=TIMEOUT, verify=verify)
            for name, url in urls.items()
        }

    def probes(self) -> dict[str, Probe]:
        """Readiness of the staff application: every service it calls answers its health."""

        def answering(client: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
            async def probe() -> bool:
                return (await client.get("/health/live")).status_code == 200

            return probe

        return {name: answering(client) for name, client in self._clients.items()}

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str,
        purpose: str | None = None,
        body: Any = None,
        params: Any = None,
    ) -> Answer:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if purpose:
            headers[PURPOSE_HEADER] = purpose
        try:
            got = await self._clients[service].request(
                method, path, headers=headers, json=body, params=params
            )
        except httpx.HTTPError:
            return Answer(503, None)
        try:
            parsed = got.json() if got.content else None
        except ValueError:
            parsed = None
        return Answer(got.status_code, parsed)

    def case_path(self, service: str, case_reference: str, rest: str = "") -> str:
        """Where a case lives in a service's API (ops keeps its cases under the force)."""
        if service == "ops":
            return f"/forces/{self.force}/cases/{case_reference}{rest}"
        return f"/cases/{case_reference}{rest}"
