"""The issuer over HTTP: discovery, keys, a sign-in page, and the token endpoint.

OpenID Connect's authorization code flow with PKCE (RFC 7636) for the browser applications,
and the password grant for command-line tools and tests. Only loopback redirect addresses
are accepted: this issuer serves one machine.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.identity.realms import ALGORITHM, AUDIENCE, DIRECTORY, Realms, UnknownRealm

CODE_SECONDS = 60


@dataclass(frozen=True)
class _Code:
    force: str
    user: str
    roles: tuple[str, ...]
    redirect_uri: str
    challenge: str
    expires: float


@dataclass
class _Codes:
    issued: dict[str, _Code] = field(default_factory=dict)

    def add(self, code: _Code) -> str:
        now = time.monotonic()
        for name in [n for n, c in self.issued.items() if c.expires < now]:
            del self.issued[name]
        value = secrets.token_urlsafe(24)
        self.issued[value] = code
        return value

    def take(self, value: str) -> _Code | None:
        code = self.issued.pop(value, None)  # one use only
        return code if code is not None and code.expires >= time.monotonic() else None


def _loopback(uri: str) -> bool:
    parts = urllib.parse.urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, one value per field."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415, "the body must be application/x-www-form-urlencoded")
    body = (await request.body()).decode()
    return {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}


def create_app(realms: Realms) -> FastAPI:
    """The issuer of every force's realm under one address."""
    app = FastAPI(title="csods local issuer", docs_url=None, redoc_url=None, openapi_url=None)
    codes = _Codes()

    def realm_of(force: str) -> str:
        try:
            return realms.realm(force).issuer
        except UnknownRealm as exc:
            raise HTTPException(404, "no such realm") from exc

    @app.get("/realms/{force}/.well-known/openid-configuration")
    async def discovery(force: str) -> dict[str, Any]:
        issuer = realm_of(force)
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "password"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/realms/{force}/jwks")
    async def jwks(force: str) -> dict[str, Any]:
        realm_of(force)
        return realms.realm(force).jwks()

    @app.get("/realms/{force}/authorize", response_class=HTMLResponse)
    async def authorize(
        force: str,
        *,
        client_id: str,
        redirect_uri: str,
        state: Annotated[str, Query(max_length=200)],
        code_challenge: Annotated[str, Query(min_length=43, max_length=128)],
        response_type: str = "code",
        code_challenge_method: str = "S256",
    ) -> HTMLResponse:
        """The sign-in page."""
        realm_of(force)
        _check_client(client_id, redirect_uri, response_type, code_challenge_method)
        return HTMLResponse(_page(force, redirect_uri, state, code_challenge))

    @app.post("/realms/{force}/authorize", response_model=None)
    async def signed_in(force: str, request: Request) -> Response:
        realm_of(force)
        form = await _form(request)
        redirect_uri, state = form.get("redirect_uri", ""), form.get("state", "")
        challenge = form.get("code_challenge", "")
        _check_client(form.get("client_id", ""), redirect_uri, "code", "S256")
        user = form.get("username", "")
        roles = realms.check(force, user, form.get("password", ""))
        if roles is None:
            page = _page(force, redirect_uri, state, challenge, failed=True)
            return HTMLResponse(page, status_code=401)
        code = codes.add(
            _Code(force, user, roles, redirect_uri, challenge, time.monotonic() + CODE_SECONDS)
        )
        query = urllib.parse.urlencode({"code": code, "state": state})
        return RedirectResponse(f"{redirect_uri}?{query}", status_code=303)

    @app.post("/realms/{force}/token")
    async def token(force: str, request: Request) -> JSONResponse:
        realm_of(force)
        realm = realms.realm(force)
        form = await _form(request)
        if form.get("client_id") != AUDIENCE:
            return _error(401, "invalid_client", f"client_id: only {AUDIENCE} is known")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = codes.take(form.get("code", ""))
            verifier = form.get("code_verifier", "")
            if (
                code is None
                or code.force != force
                or code.redirect_uri != form.get("redirect_uri")
                or _challenge(verifier) != code.challenge
            ):
                return _error(400, "invalid_grant", "code: unknown, used, expired or not yours")
            user, roles = code.user, code.roles
        elif grant == "password":
            user = form.get("username", "")
            found = realms.check(force, user, form.get("password", ""))
            if found is None:
                return _error(400, "invalid_grant", "username or password: not recognised")
            roles = found
        else:
            return _error(400, "unsupported_grant_type", "grant_type: authorization_code, password")
        now = datetime.now(UTC)
        access = realm.mint(f"{user}@{force}", roles, now=now)
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": 8 * 3600},
            headers={"Cache-Control": "no-store"},
        )

    return app


def _check_client(client_id: str, redirect_uri: str, response_type: str, method: str) -> None:
    if client_id != AUDIENCE:
        raise HTTPException(400, f"client_id: only {AUDIENCE} is known here")
    if not _loopback(redirect_uri):
        raise HTTPException(400, "redirect_uri: only loopback addresses are accepted")
    if response_type != "code" or method != "S256":
        raise HTTPException(400, "response_type must be code, with an S256 code challenge")


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _page(
    force: str, redirect_uri: str, state: str, challenge: str, *, failed: bool = False
) -> str:
    """A plain sign-in form: who you are in this force, and your password."""
    e = html.escape
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{e(value)}">'
        for name, value in (
            ("client_id", AUDIENCE),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("code_challenge", challenge),
        )
    )
    users = "".join(f"<option>{e(user)}</option>" for user in DIRECTORY)
    message = '<p role="alert" id="failed">Wrong name or password.</p>' if failed else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Sign in: {e(force)}</title></head><body>"
        f"<h1>Sign in to {e(force)}</h1>{message}"
        f'<form method="post" action="/realms/{e(force)}/authorize">{hidden}'
        f'<label>Name <select name="username" id="username">{users}</select></label>'
        '<label>Password <input type="password" name="password" id="password"></label>'
        '<button type="submit" id="sign-in">Sign in</button></form></body></html>'
    )
