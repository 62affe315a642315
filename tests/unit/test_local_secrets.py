"""The local stack's secrets are made once, however many callers ask for them at the same time.

The demo plays its stories in threads, and two of them once signed in to the same new realm
together: each made a signing key, the second replaced the first, and the first story's token
was then refused as signed by a key its issuer did not publish.
"""

from __future__ import annotations

import functools
import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from deploy.local.secrets import made_once, password
from services.identity.realms import Realms

CALLERS = 16
T = TypeVar("T")


def at_once(ask: Callable[[], T]) -> list[T]:
    """What `CALLERS` threads get when they all ask in the same instant."""
    start = threading.Barrier(CALLERS)

    def one() -> T:
        start.wait()
        return ask()

    with ThreadPoolExecutor(CALLERS) as pool:
        return list(pool.map(lambda _: one(), range(CALLERS)))


def test_a_realm_asked_for_by_many_at_once_has_one_key(tmp_path: Path) -> None:
    realms = Realms(tmp_path, "https://127.0.0.1:1")
    forces = [f"force-{n}" for n in range(8)]  # a race lost once in a few tries is still seen
    for force in forces:
        kids = at_once(functools.partial(lambda name: realms.realm(name).kid, force))
        assert len(set(kids)) == 1, force
        assert realms.realm(force).kid == kids[0]  # and it is the one kept
    kept = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert kept == [f"{force}.pem" for force in forces]  # no partial files left behind


def test_a_password_asked_for_by_many_at_once_is_one_password(tmp_path: Path) -> None:
    path = tmp_path / "principals" / "kent.intake"
    assert len(set(at_once(lambda: password(path)))) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_secret_already_made_is_read_not_made_again(tmp_path: Path) -> None:
    path = tmp_path / "directory.secret"
    first = made_once(path, lambda: b"first")
    assert made_once(path, lambda: b"second") == first == b"first"
