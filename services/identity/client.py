"""Getting a staff token from an issuer with the password grant: for scripts and the CLI.

Browsers sign in with the code flow (services/runtime/browser_sign_in.py); the demo's
scripted case worker and `csods staff token` ask the token endpoint directly, as the local
issuer's own members of staff.
"""

from __future__ import annotations

import urllib.error
from pathlib import Path

from services.identity.realms import AUDIENCE
from services.runtime.staff import Issuer


class SignInRefused(RuntimeError):  # noqa: N818 - what happened
    """The issuer did not give a token."""


def password_grant(issuer: str, user: str, password: str, *, ca_file: Path | None) -> str:
    """An access token for `user` from the issuer's token endpoint (found by discovery)."""
    form = {"grant_type": "password", "username": user, "password": password}
    try:
        granted = Issuer(issuer, ca_file=ca_file).token_request({**form, "client_id": AUDIENCE})
    except urllib.error.HTTPError as exc:
        raise SignInRefused(f"the issuer refused {user}: {exc.code} {exc.read()[:200]!r}") from exc
    return str(granted["access_token"])


def local_token(force: str, user: str) -> str:
    """A token for one of the local issuer's members of staff of `force`."""
    from deploy.local import issuer, stack  # noqa: PLC0415 - the local stack only
    from services.identity.realms import Realms  # noqa: PLC0415

    found = stack.addresses()
    realms = Realms(found.issuer_folder, issuer.base_url())
    return password_grant(
        realms.issuer(force), user, realms.password(force, user), ca_file=found.kafka_ca_file
    )
