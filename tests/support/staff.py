"""Staff sign-in for tests: one secret for the test run, tokens for any force and roles."""

from __future__ import annotations

from datetime import UTC, datetime

from services.runtime.staff import ANY_STAFF, SECRET_SETTING, Role, issue

SECRET = "tests-only-staff-token-secret-of-48-characters--"
ENV = {SECRET_SETTING: SECRET}


def token(force: str, *roles: Role, staff: str = "PC 4711") -> str:
    """A current token for a member of `force`'s staff (every role unless some are named)."""
    return issue(SECRET, staff=staff, force=force, roles=roles or ANY_STAFF, now=datetime.now(UTC))


def headers(force: str, *roles: Role, staff: str = "PC 4711") -> dict[str, str]:
    """The Authorization header of such a token."""
    return {"Authorization": f"Bearer {token(force, *roles, staff=staff)}"}
