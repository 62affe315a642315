"""Who may use a force's staff APIs: signed staff tokens, each for one force, with roles.

A token is a JSON Web Token signed with the deployment's staff-token secret (HMAC-SHA256). It
names the member of staff, the one force they work for and their roles, and it expires. A
request without a valid token for this force is refused before any case is read; the member
of staff who made a change is written into the audit log with it (DESIGN.md section 5).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ALGORITHM = "HS256"
ISSUER = "csods"
SECRET_SETTING = "CSODS_STAFF_TOKEN_SECRET"  # noqa: S105 - the setting's name, not a secret
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
DEFAULT_LIFETIME = timedelta(hours=12)  # one shift


class Role(StrEnum):
    """What a member of staff does in the scheme, by its stages."""

    INITIAL_CONTACT = "initial-contact"  # 5.1: call handlers, front counters, the portal's staff
    PUBLIC_PROTECTION = "public-protection"  # 5.2-5.6: the public protection team (5.2.3, 5.4.3)
    DECISION_MAKER = "decision-maker"  # 5.6: records whether to disclose, after the forum


ANY_STAFF: tuple[Role, ...] = tuple(Role)


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


def issue(
    secret: str,
    *,
    staff: str,
    force: str,
    roles: Iterable[Role],
    now: datetime,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> str:
    """A signed token for one member of staff of one force."""
    _check_secret(secret)
    claims = {
        "iss": ISSUER,
        "sub": staff,
        "force": force,
        "roles": sorted(role.value for role in roles),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str | None, token: str, *, force: str) -> Staff:
    """The member of staff a token names, if it is genuine, current and for this force."""
    if not secret:
        raise Refused(401, f"sign-in: staff tokens are not configured here ({SECRET_SETTING})")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Refused(401, "token: expired; sign in again") from exc
    except jwt.InvalidTokenError as exc:
        raise Refused(401, "token: not a staff token signed for this deployment") from exc
    if claims.get("force") != force:
        # Tenants are walls: a token from another force opens nothing here.
        raise Refused(403, f"token: issued for another force, not {force}")
    try:
        roles = frozenset(Role(role) for role in claims.get("roles", []))
    except ValueError as exc:
        raise Refused(401, "token: names a role the scheme does not have") from exc
    return Staff(identifier=str(claims["sub"]), force=force, roles=roles)


def _check_secret(secret: str) -> None:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{SECRET_SETTING}: at least {MIN_SECRET_BYTES} bytes")


_bearer = HTTPBearer(auto_error=False, description="A staff token: `csods staff token`.")


def install_sign_in(app: FastAPI, *, force: str | None, secret: str | None) -> None:
    """Keep what the routes' role checks need on the app: its force (none when it serves
    several, whose routes then name the force in their path) and the secret."""
    app.state.staff_force = force
    app.state.staff_secret = secret


async def signed_in(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff:
    """The member of staff making the request; refused when there is none."""
    if credentials is None:
        raise Refused(401, "authorization: a staff token is required (Bearer)")
    state = request.app.state
    # The force the request is about: the one its path names, else the one the API serves.
    force = request.path_params.get("force") or state.staff_force
    if force is None:
        raise Refused(403, "force: this route serves several forces and names none")
    staff = verify(state.staff_secret, credentials.credentials, force=force)
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
