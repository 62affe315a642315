"""Who may use a force's staff APIs and pages: tokens from the force's own issuer, with roles.

A force signs its staff in with its own identity provider. A service trusts exactly one
issuer, its force's (`CSODS_STAFF_ISSUER`, found through OpenID Connect discovery), and takes
a token only if that issuer signed it with an asymmetric key it publishes (JWKS), for this
audience, still current, and for this force. The token names the member of staff and their
roles. A request without such a token is refused before any case is read, with 401 or 403
and the rule it broke; the member of staff who read or changed a case is written into the
audit log with it (architecture §5).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.parse
import urllib.request
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

# Asymmetric only: a service holds no key that could sign, and `none` or HS256 never pass.
ALGORITHMS = ("ES256", "ES384", "RS256", "PS256", "EdDSA")
AUDIENCE = "csods"
SESSION_COOKIE = "csods_session"
FETCH_SECONDS = 10.0


class Role(StrEnum):
    """What a member of staff does in the scheme, by its stages."""

    INITIAL_CONTACT = "initial-contact"  # 5.1: call handlers, front counters, the portal's staff
    PUBLIC_PROTECTION = "public-protection"  # 5.2-5.6: the public protection team (5.2.3, 5.4.3)
    DECISION_MAKER = "decision-maker"  # 5.6: records whether to disclose, after the forum
    OPS = "ops"  # runs the service: streams, lag, dead letters; reads no case's particulars


# Every role of the scheme's stages (the ops role runs the service, it works no case).
ANY_STAFF: tuple[Role, ...] = (Role.INITIAL_CONTACT, Role.PUBLIC_PROTECTION, Role.DECISION_MAKER)


@dataclass(frozen=True, slots=True)
class Staff:
    """A signed-in member of staff."""

    identifier: str
    force: str
    roles: frozenset[Role]


class Refused(Exception):  # noqa: N818 - a verdict on a request, not our failure
    """A request refused for who made it: 401 unknown or unsigned, 403 not allowed."""

    def __init__(self, status: int, rule: str) -> None:
        super().__init__(rule)
        self.status = status
        self.rule = rule


current_staff: ContextVar[Staff | None] = ContextVar("csods_staff", default=None)


@dataclass
class Issuer:
    """A force's identity provider, as its discovery document describes it."""

    url: str  # the issuer (`iss`), e.g. https://idp.kent.police.example/realms/staff
    audience: str = AUDIENCE
    ca_file: Path | None = None  # None: the system's trusted authorities
    _document: Mapping[str, Any] | None = field(default=None, repr=False)
    _keys: jwt.PyJWKClient | None = field(default=None, repr=False)

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    def _discover(self) -> Mapping[str, Any]:
        if self._document is None:
            where = f"{self.url}/.well-known/openid-configuration"
            with urllib.request.urlopen(where, timeout=FETCH_SECONDS, context=self._tls()) as got:  # noqa: S310 - https from settings
                document = json.load(got)
            if document.get("issuer") != self.url:
                raise Refused(503, "sign-in: the issuer's discovery names another issuer")
            self._document = document
        return self._document

    def token_request(self, form: Mapping[str, str]) -> dict[str, Any]:
        """POST a form to the issuer's token endpoint; its JSON answer (HTTPError if refused)."""
        request = urllib.request.Request(  # noqa: S310 - the issuer's https endpoint
            str(self._discover()["token_endpoint"]),
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=FETCH_SECONDS, context=self._tls()) as got:  # noqa: S310
            answer: dict[str, Any] = json.load(got)
        return answer

    async def endpoint(self, name: str) -> str:
        """An endpoint the discovery document names (authorization_endpoint, token_endpoint)."""
        document = await asyncio.to_thread(self._discover)
        return str(document[name])

    def _signing_key(self, token: str) -> jwt.PyJWK:
        if self._keys is None:
            uri = str(self._discover()["jwks_uri"])
            self._keys = jwt.PyJWKClient(
                uri, lifespan=300, timeout=FETCH_SECONDS, ssl_context=self._tls()
            )
        return self._keys.get_signing_key_from_jwt(token)

    async def signing_key(self, token: str) -> jwt.PyJWK:
        """The published key the token says it was signed with."""
        try:
            return await asyncio.to_thread(self._signing_key, token)
        except jwt.PyJWKClientConnectionError as exc:
            raise Refused(503, "sign-in: the force's issuer cannot be reached; try again") from exc
        except OSError as exc:
            raise Refused(503, "sign-in: the force's issuer cannot be reached; try again") from exc
        except jwt.PyJWKClientError as exc:
            raise Refused(
                401, "token: signed with a key the force's issuer does not publish"
            ) from exc


def issuer_for(
    template: str | None, force: str, *, ca_file: Path | None, audience: str
) -> Issuer | None:
    """The force's issuer from a setting that may name every force's (`{tenant}`)."""
    if not template:
        return None
    return Issuer(template.replace("{tenant}", force), audience=audience, ca_file=ca_file)


async def verify(issuer: Issuer | None, token: str, *, force: str) -> Staff:
    """The member of staff a token names, if it is genuine, current and for this force."""
    if issuer is None:
        raise Refused(401, "sign-in: no issuer is configured for this force (CSODS_STAFF_ISSUER)")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise Refused(401, "token: not a JSON Web Token") from exc
    if header.get("alg") not in ALGORITHMS:
        raise Refused(401, "token: not signed with a published asymmetric key")
    if unverified.get("iss") != issuer.url:
        if unverified.get("force") not in (None, force):
            # Tenants are walls: a token from another force opens nothing here.
            raise Refused(403, f"token: issued for another force, not {force}")
        raise Refused(401, "token: not issued by this force's issuer")
    key = await issuer.signing_key(token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            issuer=issuer.url,
            audience=issuer.audience,
            options={"require": ["exp", "iat", "iss", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Refused(401, "token: expired; sign in again") from exc
    except jwt.InvalidAudienceError as exc:
        raise Refused(401, "token: issued for another application") from exc
    except jwt.InvalidTokenError as exc:
        raise Refused(401, "token: its signature or claims do not check out") from exc
    if claims.get("force", force) != force:
        raise Refused(403, f"token: issued for another force, not {force}")
    try:
        roles = frozenset(Role(role) for role in claims.get("roles", []))
    except ValueError as exc:
        raise Refused(401, "token: names a role the scheme does not have") from exc
    return Staff(identifier=str(claims["sub"]), force=force, roles=roles)


_bearer = HTTPBearer(auto_error=False, description="A staff token from the force's issuer.")


def install_sign_in(app: FastAPI, *, force: str, issuer: Issuer | None) -> None:
    """Keep what the routes' role checks need on the app: its force and the force's issuer."""
    app.state.staff_force = force
    app.state.staff_issuer = issuer


def credentials_of(request: Request, bearer: HTTPAuthorizationCredentials | None) -> str | None:
    """The token a request carries: its Bearer header, or for a page read, the session cookie.

    The cookie is taken only for GET and HEAD: a change must carry its token itself, so no
    other site can make a signed-in browser change anything (cross-site request forgery).
    """
    if bearer is not None:
        return bearer.credentials
    if request.method in ("GET", "HEAD"):
        return request.cookies.get(SESSION_COOKIE)
    return None


async def signed_in(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff:
    """The member of staff making the request; refused when there is none."""
    token = credentials_of(request, credentials)
    if token is None:
        raise Refused(401, "authorization: a staff token is required (Bearer)")
    state = request.app.state
    force = request.path_params.get("force") or state.staff_force
    if force != state.staff_force:
        raise Refused(403, f"force: this service serves {state.staff_force}, not {force}")
    staff = await verify(state.staff_issuer, token, force=force)
    current_staff.set(staff)
    return staff


def allow(*roles: Role) -> Any:
    """A route dependency: signed in for this force, with one of `roles`."""

    async def check(staff: Annotated[Staff, Depends(signed_in)]) -> Staff:
        if not staff.roles & set(roles):
            needed = ", ".join(role.value for role in roles)
            raise Refused(403, f"role: needs one of {needed}")
        return staff

    return Depends(check)


def acting(actor: str) -> str:
    """Who did what the audit log records: the actor, and the member of staff if one asked."""
    staff = current_staff.get()
    return actor if staff is None else f"{actor}/{staff.identifier}"
