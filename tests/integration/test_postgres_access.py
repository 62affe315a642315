"""The database from outside, with plain clients: a password and verified TLS, or no way in."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from deploy.local.postgres import find_bindir
from services.catalogue import definition
from services.runtime.migrations import login_role, role_name
from services.runtime.service import app_dsn, migrate_service, prepare
from services.runtime.settings import Settings
from tests.support.schemas import runtime_schema

SERVICE = "access_probe"


@dataclass(frozen=True)
class Target:
    """Where the session's database is, and the files its URL names."""

    url: str
    host: str
    port: int
    user: str
    database: str
    authority: Path
    passfile: Path

    def verified(self) -> ssl.SSLContext:
        """TLS that checks the server's certificate and name against the stack's authority."""
        return ssl.create_default_context(cafile=self.authority)

    async def connect(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        password: str | None = None,
        passfile: str | None = None,
    ) -> None:
        """Connect as the owner with the given TLS (default: verified) and password or passfile."""
        conn = await asyncpg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            database=self.database,
            ssl=tls or self.verified(),
            password=password,
            passfile=passfile,
        )
        await conn.close()


@pytest.fixture
def target(database_url: str) -> Target:
    """The session database's URL taken apart: it must name a CA and a passfile."""
    parts = urllib.parse.urlsplit(database_url)
    query = {key: values[-1] for key, values in urllib.parse.parse_qs(parts.query).items()}
    assert query.get("sslmode") == "verify-full", "the stack's URL must verify the server"
    assert parts.password is None, "the stack's URL must not carry a password"
    return Target(
        url=database_url,
        host=parts.hostname or "",
        port=parts.port or 5432,
        user=parts.username or "",
        database=parts.path.lstrip("/"),
        authority=Path(query["sslrootcert"]),
        passfile=Path(query["passfile"]),
    )


@pytest.fixture
def empty_passfile(tmp_path: Path) -> Path:
    """A passfile with no lines, so no client finds a password anywhere."""
    path = tmp_path / "pgpass"
    path.write_text("")
    path.chmod(0o600)
    return path


async def test_a_client_without_a_password_is_refused(target: Target, empty_passfile: Path) -> None:
    with pytest.raises(asyncpg.InvalidPasswordError, match="password authentication failed"):
        await target.connect(passfile=str(empty_passfile))


async def test_a_wrong_password_is_refused(target: Target) -> None:
    with pytest.raises(asyncpg.InvalidPasswordError, match="password authentication failed"):
        await target.connect(password="not-the-password")


async def test_a_client_without_tls_is_refused_by_pg_hba(target: Target) -> None:
    plain = target.url.replace("sslmode=verify-full", "sslmode=disable")
    refusal = r'no pg_hba\.conf entry for host "127\.0\.0\.1".*no encryption'
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match=refusal):
        await asyncpg.connect(plain)


async def test_a_server_the_authority_did_not_sign_for_is_not_trusted(target: Target) -> None:
    # The system's authorities, not the stack's: the client must refuse the server.
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await target.connect(tls=ssl.create_default_context(), passfile=str(target.passfile))


async def test_the_password_over_verified_tls_gets_in(target: Target) -> None:
    conn = await asyncpg.connect(target.url)
    try:
        row = await conn.fetchrow(
            "SELECT current_user AS who, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
        method = await conn.fetchval("SHOW password_encryption")
    finally:
        await conn.close()
    assert row is not None
    assert (row["who"], row["ssl"]) == (target.user, True)
    assert row["version"] == "TLSv1.3"
    assert method == "scram-sha-256"


async def test_service_roles_get_in_with_their_password_and_are_not_superusers(
    settings_for: Callable[..., Settings], tenant: str
) -> None:
    settings = settings_for(tenant)
    await runtime_schema(settings, SERVICE)
    conn = await asyncpg.connect(app_dsn(settings, SERVICE))
    try:
        who = await conn.fetchrow(
            "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, ssl"
            " FROM pg_roles, pg_stat_ssl WHERE rolname = current_user AND pid = pg_backend_pid()"
        )
        services = await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'csods\\_%' AND rolsuper"
        )
        groups = await conn.fetch(
            "SELECT g.rolname, g.rolcanlogin FROM pg_auth_members m"
            " JOIN pg_roles g ON g.oid = m.roleid"
            " WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        owner = await conn.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = (SELECT nspowner::regrole::text"
            " FROM pg_namespace WHERE nspname = $1)",
            SERVICE,
        )
    finally:
        await conn.close()
    assert who is not None
    assert dict(who) == {
        "rolname": login_role(tenant, SERVICE),
        "rolsuper": False,
        "rolbypassrls": False,
        "rolcreaterole": False,
        "rolcreatedb": False,
        "ssl": True,
    }
    assert services == []
    # Its grants come from the service's group, which nobody logs in as.
    assert [tuple(g) for g in groups] == [(role_name(SERVICE), False)]
    assert owner is False  # the schema's owner, who migrated it, is no superuser either


def _psql() -> str:
    """The psql of the PostgreSQL the stack runs (Debian's), else the one on PATH; never none."""
    bindir = find_bindir()
    if bindir is not None and (bindir / "psql").is_file():
        return str(bindir / "psql")
    found = shutil.which("psql")
    assert found is not None, "no psql beside the stack's PostgreSQL or on PATH"
    return found


def _run_psql(target: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # -w: never prompt; the password comes from the passfile or not at all.
    command = [
        _psql(),
        "-XAtw",
        target,
        "-c",
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=30)


def test_psql_gets_in_only_with_the_passfile_and_tls(target: Target, empty_passfile: Path) -> None:
    allowed = _run_psql(target.url)
    assert (allowed.returncode, allowed.stdout.strip()) == (0, "t"), allowed.stderr

    plain = _run_psql(target.url.replace("sslmode=verify-full", "sslmode=disable"))
    assert plain.returncode == 2
    assert "no pg_hba.conf entry" in plain.stderr
    assert "no encryption" in plain.stderr

    without_password = target.url.replace(
        urllib.parse.quote(str(target.passfile), safe="/"), str(empty_passfile)
    )
    assert without_password != target.url
    refused = _run_psql(without_password, env={"PATH": "/usr/bin:/bin"})
    assert refused.returncode == 2
    assert "no password supplied" in refused.stderr


async def test_a_service_that_migrates_apart_needs_only_its_own_login(
    settings_for: Callable[..., Settings], tenant: str
) -> None:
    # As a deployment that runs `csods database migrate` first: the service is given its
    # tenant's login and an owner's URL nothing listens on, which it must never touch.
    owner = settings_for(tenant)
    await migrate_service(definition("intake"), owner.database_url)
    own = app_dsn(owner, "intake")
    settings = settings_for(
        tenant,
        migrate_at_start=False,
        database_url="postgresql://nobody@127.0.0.1:9/none",
        app_database_url=own,
    )
    running = await prepare(definition("intake"), settings)
    try:
        async with running.database.pool.acquire() as conn:
            who = await conn.fetchval("SELECT session_user")
    finally:
        await running.database.pool.close()
    assert who == login_role(tenant, "intake")
