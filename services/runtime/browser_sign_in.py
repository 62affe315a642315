"""Signing a browser in through the force's issuer: OpenID Connect's code flow with PKCE.

A page asked for without a token sends the browser to `/sign-in`, which sends it to the
force's issuer with a fresh state and code challenge (kept in a short-lived cookie only this
path reads). The issuer sends it back to `/signed-in` with a code, which is exchanged for a
token server-side; the token is checked as every staff token is and kept in an HttpOnly,
SameSite=Lax session cookie, which is honoured for reads only (services.runtime.staff).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
import urllib.parse
from collections.abc import Collection

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.runtime.staff import SESSION_COOKIE, Issuer, Refused, Role, verify

PENDING_COOKIE = "csods_sign_in"
PENDING_SECONDS = 300


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def install_browser_sign_in(
    app: FastAPI, *, force: str, issuer: Issuer | None, roles: Collection[Role]
) -> None:
    """Add `/sign-in`, `/signed-in` and `/sign-out` for staff of `force` with one of `roles`."""
    app.state.browser_sign_in = True  # a page refused for want of a token redirects here

    @app.get("/sign-in", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        if issuer is None:
            raise Refused(401, "sign-in: no issuer is configured for this force")
        state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": issuer.audience,
                "redirect_uri": str(request.url_for("signed_in")),
                "state": state,
                "code_challenge": _challenge(verifier),
                "code_challenge_method": "S256",
                "scope": "openid",
            }
        )
        answer = RedirectResponse(f"{await issuer.endpoint('authorization_endpoint')}?{query}", 303)
        answer.set_cookie(
            PENDING_COOKIE,
            f"{state}.{verifier}",
            max_age=PENDING_SECONDS,
            path="/signed-in",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return answer

    @app.get("/signed-in", include_in_schema=False)
    async def signed_in(request: Request, code: str = "", state: str = "") -> Response:
        pending = request.cookies.get(PENDING_COOKIE, "")
        expected, _, verifier = pending.partition(".")
        if (
            issuer is None
            or not code
            or not expected
            or not secrets.compare_digest(state, expected)
        ):
            raise Refused(401, "sign-in: not started here, or started too long ago; sign in again")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": str(request.url_for("signed_in")),
            "client_id": issuer.audience,
            "code_verifier": verifier,
        }
        try:
            granted = await asyncio.to_thread(issuer.token_request, form)
        except OSError as exc:
            raise Refused(
                401, "sign-in: the issuer did not accept the code; sign in again"
            ) from exc
        token = str(granted.get("access_token", ""))
        staff = await verify(issuer, token, force=force)
        if not staff.roles & set(roles):
            raise Refused(403, f"role: needs one of {', '.join(r.value for r in roles)}")
        expires = int(jwt.decode(token, options={"verify_signature": False})["exp"])
        answer = RedirectResponse("/", 303)
        answer.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=max(0, expires - int(time.time())),
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        answer.delete_cookie(PENDING_COOKIE, path="/signed-in")
        return answer

    @app.get("/sign-out", include_in_schema=False)
    async def sign_out() -> Response:
        answer = HTMLResponse("<!doctype html><title>Signed out</title><p>Signed out.</p>")
        answer.delete_cookie(SESSION_COOKIE, path="/")
        return answer
