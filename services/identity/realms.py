"""Each force's realm: its signing key, its staff directory, the tokens it issues.

Keys are EC P-256, made the first time a realm is asked for and kept owner-only in the
issuer's folder (outside the repository), so a restart keeps tokens valid. The directory is
the same in every realm: one member of staff per job, each with their own password derived
from the issuer's secret, so tests and the demo can sign in as any force's staff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from deploy.local.secrets import made_once, owner_only_dir

ALGORITHM = "ES256"
AUDIENCE = "csods"  # the client id every csods service and application signs in as
LIFETIME = timedelta(hours=8)  # one shift
_REALM = re.compile(r"^[a-z0-9-]{1,63}$")

# The directory of every realm: who works there and in which jobs (services.runtime.staff).
DIRECTORY: dict[str, tuple[str, ...]] = {
    "initial-contact": ("initial-contact",),
    "public-protection": ("public-protection",),
    "decision-maker": ("decision-maker",),
    "ops": ("ops",),
    "case-officer": ("initial-contact", "public-protection", "decision-maker"),
}


class UnknownRealm(ValueError):  # noqa: N818 - a verdict on a request
    """No such realm name."""


@dataclass(frozen=True)
class Realm:
    """One force's issuer: its name, URL and key."""

    force: str
    issuer: str
    key: ec.EllipticCurvePrivateKey

    @property
    def kid(self) -> str:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(public).hexdigest()[:16]

    def jwks(self) -> dict[str, Any]:
        """The public key as a JSON Web Key Set."""
        jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def mint(
        self,
        user: str,
        roles: Iterable[str],
        *,
        now: datetime,
        lifetime: timedelta = LIFETIME,
        audience: str = AUDIENCE,
    ) -> str:
        """A signed access token for a member of this force's staff (`user`: their `sub`)."""
        claims = {
            "iss": self.issuer,
            "sub": user,
            "aud": audience,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "force": self.force,
            "roles": sorted(roles),
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})


@dataclass(frozen=True)
class Realms:
    """Every force's realm, under one base URL (`<base>/realms/<force>`)."""

    folder: Path
    base_url: str

    def issuer(self, force: str) -> str:
        return f"{self.base_url}/realms/{force}"

    def realm(self, force: str) -> Realm:
        """The force's realm, its key made now if it has none."""
        if not _REALM.match(force):
            raise UnknownRealm(f"realm: {force[:80]!r} is not a force name")
        pem = made_once(owner_only_dir(self.folder / "keys") / f"{force}.pem", _new_key)
        loaded = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        return Realm(force, self.issuer(force), loaded)

    def password(self, force: str, user: str) -> str:
        """A member of staff's password in a force's realm."""
        digest = hmac.new(self._secret(), f"{force}/{user}".encode(), "sha256").digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def check(self, force: str, user: str, password: str) -> tuple[str, ...] | None:
        """The user's roles if the password is theirs, else None."""
        roles = DIRECTORY.get(user)
        if roles is None:
            return None
        if not hmac.compare_digest(self.password(force, user), password):
            return None
        return roles

    def _secret(self) -> bytes:
        return made_once(self.folder / "directory.secret", lambda: secrets.token_bytes(32))


def _new_key() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
