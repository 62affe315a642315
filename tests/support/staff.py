"""Staff sign-in for tests: the local stack's issuer, one realm per force.

Tokens are signed with the realm's own key (kept in the stack's secrets, as an identity
provider keeps its keys), so a test may ask for any member of staff and roles; the services
check them the one way they check every token: discovery, JWKS over TLS, issuer, audience,
expiry and force.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from deploy.local import issuer as local_issuer
from deploy.local import stack
from services.identity.realms import Realm, Realms
from services.runtime.reads import PURPOSE_HEADER
from services.runtime.staff import ANY_STAFF, Issuer, Role


@cache
def realms() -> Realms:
    """Every force's realm on the local stack's issuer."""
    return Realms(stack.addresses().issuer_folder, local_issuer.base_url())


def ca_file() -> str:
    return str(stack.addresses().kafka_ca_file)


ENV = {"CSODS_STAFF_ISSUER": local_issuer.issuer_template(), "CSODS_STAFF_CA_FILE": ca_file()}


def issuer(force: str) -> Issuer:
    """The force's issuer as its services trust it."""
    return Issuer(realms().issuer(force), ca_file=stack.addresses().kafka_ca_file)


def realm(force: str) -> Realm:
    return realms().realm(force)


def token(
    force: str, *roles: Role, staff: str = "PC 4711", lifetime: timedelta | None = None
) -> str:
    """A current token for a member of `force`'s staff (every stage's role unless named)."""
    chosen = [role.value for role in roles or ANY_STAFF]
    now = datetime.now(UTC)
    if lifetime is None:
        return realm(force).mint(staff, chosen, now=now)
    return realm(force).mint(staff, chosen, now=now, lifetime=lifetime)


def headers(force: str, *roles: Role, staff: str = "PC 4711") -> dict[str, str]:
    """The Authorization header of such a token, and why the test reads what it reads."""
    return {
        "Authorization": f"Bearer {token(force, *roles, staff=staff)}",
        PURPOSE_HEADER: "a test of the service",
    }
