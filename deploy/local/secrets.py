"""The local stack's secrets: kept outside the repository, readable by their owner only.

One folder per clone, under ``$XDG_STATE_HOME/csods/`` (``~/.local/state/csods/``), named
after the clone's path: the certificate authority, the broker's and the database server's
keys, the Kafka super-user's password and every provisioned principal's password. Nothing in
it is ever written inside the working tree, so nothing in it can be committed.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from deploy.local.common import StackError, sha256_short

SECRETS_VARIABLE = "CSODS_STACK_SECRETS"
PASSWORD_BYTES = 24


def secrets_dir(root: Path) -> Path:
    """The clone's secrets folder (created 0700 on first use)."""
    given = os.environ.get(SECRETS_VARIABLE, "").strip()
    if given:
        folder = Path(given)
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        folder = Path(base) / "csods" / f"{root.name}-{sha256_short(str(root.resolve()))}"
    return owner_only_dir(folder)


def owner_only_dir(folder: Path) -> Path:
    """Make a folder that only its owner may enter; refuse one that others can."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stat = folder.stat()
    if stat.st_uid != os.geteuid():
        raise StackError(f"{folder} belongs to another user; refusing to keep secrets in it")
    if stat.st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def _partial(path: Path, data: bytes) -> Path:
    """A new owner-only file beside `path` holding `data`, its name unique to this writer."""
    owner_only_dir(path.parent)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return Path(name)


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, replacing it whole."""
    _partial(path, data).replace(path)


def made_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret kept in `path`, made by `make` if there is none yet.

    Race-free between threads and processes: each maker links its own partial file into
    place, only the first link succeeds, and every caller reads the winner's secret. (Two
    callers that both found no file once each kept their own key, and one's tokens then
    failed against the other's published key.)
    """
    if not path.exists():
        partial = _partial(path, make())
        try:
            os.link(partial, path)
        except FileExistsError:
            pass  # another caller made it first: theirs is the secret
        finally:
            partial.unlink()
    return read_private(path)


def read_private(path: Path) -> bytes:
    """Read a secret file, refusing one that others may read."""
    if path.stat().st_mode & 0o077:
        raise StackError(f"{path} is readable by others; chmod 600 it or delete it")
    return path.read_bytes()


def password(path: Path) -> str:
    """The password kept in a file, made at random the first time it is asked for."""
    return made_once(path, lambda: secrets.token_urlsafe(PASSWORD_BYTES).encode()).decode().strip()
