"""What every page of the staff application and the public form shares.

Templates are Jinja2 with autoescaping on, from the application's own folder first and then
the shared layout and form parts here. Every answer carries headers that keep a page's
contents in the browser that asked for it: no caching, no referrer, no framing, and scripts
and styles from this address only. Forms carry a token bound to the browser (`Forms`), so
no other site can make a browser submit one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

SHARED = Path(__file__).parent / "templates"

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
        " frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def environment(folder: Path) -> Environment:
    """The application's templates, then the shared layout and form parts."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(folder), FileSystemLoader(SHARED)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Pages:
    """Renders an application's pages with what every page of it shows."""

    def __init__(self, folder: Path, **shown: object) -> None:
        self.env = environment(folder)
        self.shown = shown

    def render(self, name: str, *, status: int = 200, **context: object) -> HTMLResponse:
        values: dict[str, Any] = {"errors": {}, "values": {}, **self.shown, **context}
        return HTMLResponse(self.env.get_template(name).render(values), status_code=status)


def install_headers(app: FastAPI) -> None:
    """Add the page headers to every answer of `app`."""

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        answer = await call_next(request)
        for name, value in HEADERS.items():
            answer.headers.setdefault(name, value)
        return answer


class Forms:
    """A form token bound to one browser: an HMAC of what identifies it, under our secret.

    The staff application binds it to the session, the public form to a random cookie of
    its own (the double-submit pattern, signed). A submitted form whose token does not match
    is refused before anything is read from it.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def token(self, binding: str) -> str:
        return hmac.new(self._secret, binding.encode(), hashlib.sha256).hexdigest()

    def valid(self, binding: str, submitted: str) -> bool:
        return bool(binding) and hmac.compare_digest(self.token(binding), submitted)


def field_values(form: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The named fields as submitted, so a refused form is shown again as it was filled in."""
    return {name: form.get(name, "") for name in names}
