"""Getting a staff token from an issuer with the password grant: for scripts and the CLI.

Browsers sign in with the code flow (services/runtime/browser_sign_in.py); the demo's
scripted case worker and `csods staff token` ask the token endpoint directly, as the local
issuer's own members of staff.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from services.identity.realms import AUDIENCE


class SignInRefused(RuntimeError):  # noqa: N818 - what happened
    """The issuer did not give a token."""


def password_grant(issuer: str, user: str, password: str, *, ca_file: Path | None) -> str:
    """An access token for `user` from the issuer's token endpoint."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    body = urllib.parse.urlencode(
        {"grant_type": "password", "username": user, "password": password, "client_id": AUDIENCE}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the issuer's https address
        f"{issuer}/token", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:  # noqa: S310
            return str(json.load(answer)["access_token"])
    except urllib.error.HTTPError as exc:
        raise SignInRefused(f"the issuer refused {user}: {exc.code} {exc.read()[:200]!r}") from exc


def local_token(force: str, user: str) -> str:
    """A token for one of the local issuer's members of staff of `force`."""
    from deploy.local import issuer, stack  # noqa: PLC0415 - the local stack only
    from services.identity.realms import Realms  # noqa: PLC0415

    found = stack.addresses()
    realms = Realms(found.issuer_folder, issuer.base_url())
    return password_grant(
        realms.issuer(force), user, realms.password(force, user), ca_file=found.kafka_ca_file
    )
