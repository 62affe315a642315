"""Who may reach the local PostgreSQL, and how: scram-sha-256 passwords, over TLS only.

The secrets live in ``<secrets>/postgres/`` (deploy/local/secrets.py), owner-only: the
superuser's and the schema owner's passwords, a passfile holding both, and the server's
certificate, signed by the stack's own authority. The URL the stack hands out is the owner's:
it names the passfile and the authority's certificate, so no password is ever on a command
line or in a URL. The superuser (`postgres`, made by initdb) only makes the owner and its
database; the owner (`csods`) is no superuser: it may create databases and roles, and owns
what it migrates. Services log in as roles provisioned per tenant (services/access/database.py),
whose passwords are not in the passfile.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from deploy.local import certificates
from deploy.local.secrets import password, secrets_dir, write_private

OWNER = "csods"
SUPERUSER = "postgres"
SERVER_IDENTITY = "postgres"
LOOPBACK = ("127.0.0.1", "localhost")

# Rewritten on every start. No trust line and no plain `host` line: a TCP client without TLS
# finds no entry and is refused, and every client proves a password.
HBA = (
    "# Written by deploy/local/postgres.py on every start; edits are overwritten.\n"
    "# TYPE  DATABASE USER ADDRESS       METHOD\n"
    "local   all      all                scram-sha-256\n"
    "hostssl all      all  127.0.0.1/32  scram-sha-256\n"
    "hostssl all      all  ::1/128       scram-sha-256\n"
)

# Relative paths are the data folder's: the server reads its own copies of the key and
# certificate there, owned by the server user (it refuses a key others may read).
SETTINGS = (
    "password_encryption = 'scram-sha-256'\n"
    "ssl = on\n"
    "ssl_cert_file = 'server.crt'\n"
    "ssl_key_file = 'server.key'\n"
    "ssl_min_protocol_version = 'TLSv1.3'\n"
)


@dataclass(frozen=True)
class PgAccess:
    """Where one clone's database secrets are kept."""

    folder: Path  # <secrets>/postgres
    authority: Path  # <secrets>/ca.pem: clients verify the server against it

    @property
    def owner_password(self) -> Path:
        return self.folder / f"{OWNER}.password"

    @property
    def superuser_password(self) -> Path:
        return self.folder / f"{SUPERUSER}.password"

    @property
    def passfile(self) -> Path:
        return self.folder / "pgpass"


def access(root: Path) -> PgAccess:
    """The clone's database secrets' paths (the folders are made, the files are not)."""
    top = secrets_dir(root)
    return PgAccess(folder=top / "postgres", authority=top / "ca.pem")


@dataclass(frozen=True)
class Passwords:
    """The stack's two passwords: the superuser's and the schema owner's."""

    superuser: str
    owner: str


def provision(acc: PgAccess, port: int) -> tuple[Passwords, certificates.Issued]:
    """Make the passwords and the server certificate when missing, write the passfile."""
    ca = certificates.authority(acc.authority.parent)
    issued = certificates.server(acc.folder, SERVER_IDENTITY, ca)
    made = Passwords(password(acc.superuser_password), password(acc.owner_password))
    lines = [f"{host}:{port}:*:{OWNER}:{made.owner}" for host in LOOPBACK]
    lines += [f"{host}:{port}:*:{SUPERUSER}:{made.superuser}" for host in LOOPBACK]
    text = "\n".join(lines) + "\n"
    if not acc.passfile.exists() or acc.passfile.read_text() != text:
        write_private(acc.passfile, text.encode())
    return made, issued


def url(acc: PgAccess, port: int, database: str) -> str:
    """The owner's URL: TLS verified against the stack's authority, the password in a passfile."""
    query = urllib.parse.urlencode(
        {"sslmode": "verify-full", "sslrootcert": acc.authority, "passfile": acc.passfile},
        safe="/",
        quote_via=urllib.parse.quote,
    )
    return f"postgresql://{OWNER}@127.0.0.1:{port}/{database}?{query}"


def client_environment(acc: PgAccess, port: int, user: str = OWNER) -> dict[str, str]:
    """libpq's variables (psql, createdb) for the same connection as `url` (or as `user`)."""
    return {
        "PGHOST": "127.0.0.1",
        "PGPORT": str(port),
        "PGUSER": user,
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": str(acc.authority),
        "PGPASSFILE": str(acc.passfile),
        "PGCONNECT_TIMEOUT": "10",
    }
