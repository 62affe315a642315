"""A project-local PostgreSQL server run with the system's binaries, without Docker."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from deploy.local import postgres_access
from deploy.local.certificates import Issued
from deploy.local.common import (
    Progress,
    StackError,
    apt_install,
    cmdline,
    file_lock,
    is_root,
    log_tail,
    pid_alive,
    port_accepts,
    port_from_env,
    read_pid,
    run_checked,
    say,
    sha256_short,
    wait_reaped,
)
from services.runtime.passwords import password_clause

DEFAULT_PORT = 15432
PORT_VARIABLE = "CSODS_STACK_POSTGRES_PORT"
DATABASE = "csods"
SERVER_USER = "postgres"  # created by Debian's package; PostgreSQL refuses to run as root
START_TIMEOUT = 60
SOCKET_NAME_ROOM = len("/.s.PGSQL.65535")
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes; keep a margin
# In the data folder: a digest of the superuser's password the cluster has, so a change is
# seen, and which role initdb made the superuser (a cluster from before has the owner).
PASSWORD_MARK = "csods-password.sha256"  # noqa: S105 - a file name
SUPERUSER_MARK = "csods-superuser"


@dataclass(frozen=True)
class PgLayout:
    """Where one project's server lives: .stack/postgres, or a folder the server user can reach."""

    state: Path  # <project root>/.stack/postgres
    runtime: Path  # holds data/, the log and the socket: state itself, or /var/tmp/csods-postgres-*

    @property
    def data(self) -> Path:
        return self.runtime / "data"

    @property
    def log(self) -> Path:
        return self.runtime / "postgres.log"

    @property
    def relocated(self) -> bool:
        return self.runtime != self.state

    @property
    def socket_dir(self) -> Path:
        # A deep project path would overflow the Unix socket name; /var/tmp is always short.
        if len(str(self.runtime)) + SOCKET_NAME_ROOM <= SOCKET_PATH_MAX:
            return self.runtime
        return _fallback_dir(self.state)


def port() -> int:
    """The TCP port the server listens on (127.0.0.1 only)."""
    return port_from_env(PORT_VARIABLE, DEFAULT_PORT)


def database_url(root: Path) -> str:
    """The owner's URL: TLS verified against the stack's authority, the password in a passfile."""
    return postgres_access.url(postgres_access.access(root), port(), DATABASE)


def _fallback_dir(state: Path) -> Path:
    # One folder per clone: the short hash of the project root keeps clones apart.
    # /var/tmp rather than /tmp: it survives reboots, like the data it holds. _own_dir refuses a
    # folder someone else planted there.
    folder = f"csods-postgres-{sha256_short(str(state.parent.parent))}"
    return Path("/var/tmp") / folder  # noqa: S108


def layout(root: Path) -> PgLayout:
    """The current layout, read from disk without changing anything."""
    state = root / ".stack" / "postgres"
    link = state / "data"
    if link.is_symlink():
        return PgLayout(state, link.readlink().parent)
    return PgLayout(state, state)


def _data_major(lay: PgLayout) -> str | None:
    try:
        return (lay.data / "PG_VERSION").read_text().strip() or None
    except OSError:
        return None


def find_bindir(major: str | None = None) -> Path | None:
    """The folder holding initdb and pg_ctl; the data folder's own major version wins."""
    candidates: list[Path] = []
    if major is not None:
        candidates.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    if shutil.which("pg_config"):
        result = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        versions, key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0, reverse=True
    )
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _ensure_bindir(major: str | None, progress: Progress | None) -> Path:
    if (bindir := find_bindir(major)) is not None:
        return bindir
    if not is_root():
        raise StackError(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found; install them with: "
            "sudo apt-get install postgresql"
        )
    apt_install(["postgresql"], progress)
    if (bindir := find_bindir(major)) is None:
        raise StackError("apt-get installed postgresql but initdb/pg_ctl are still not found")
    return bindir


def _as_server_user(cmd: list[str]) -> list[str]:
    """Run server commands as the postgres user when we are root (initdb and pg_ctl refuse root)."""
    return ["runuser", "-u", SERVER_USER, "--", *cmd] if is_root() else cmd


def _server_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise StackError(
            f"running as root needs the '{SERVER_USER}' system user (Debian's postgresql "
            "package creates it): apt-get install postgresql"
        ) from None
    return entry.pw_uid, entry.pw_gid


def _server_user_reaches(folder: Path) -> bool:
    probe = _as_server_user(["test", "-x", str(folder), "-a", "-w", str(folder)])
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def _own_dir(folder: Path) -> None:
    """Create a folder that the server user owns (a no-op on ownership when not root)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not is_root():
        return
    uid, gid = _server_ids()
    # Never chown through a symlink or take over a folder another user made (/var/tmp is shared).
    info = folder.lstat()
    if folder.is_symlink() or info.st_uid not in (0, uid):
        raise StackError(f"{folder} is a symlink or belongs to another user; remove it")
    os.chown(folder, uid, gid, follow_symlinks=False)


def _relocate(current: PgLayout, progress: Progress | None) -> PgLayout:
    """Move the server's files to /var/tmp and leave a symlink at .stack/postgres/data."""
    link = current.state / "data"
    if link.exists():
        if any(link.iterdir()):
            raise StackError(f"{link} holds data the '{SERVER_USER}' user cannot reach")
        link.rmdir()
    runtime = _fallback_dir(current.state)
    link.symlink_to(runtime / "data")
    say(
        progress,
        f"postgres: '{SERVER_USER}' cannot reach {current.state}; data lives in "
        f"{runtime / 'data'}, linked from {link}",
    )
    return PgLayout(current.state, runtime)


def _prepare(root: Path, progress: Progress | None) -> PgLayout:
    """Decide where the server's files go and make them the server user's."""
    current = layout(root)
    current.state.mkdir(parents=True, exist_ok=True)
    if is_root() and not current.relocated:
        _own_dir(current.state)
        if not _server_user_reaches(current.state):
            # E.g. a clone under /root (mode 700): the postgres user cannot traverse into it.
            current = _relocate(current, progress)
    _own_dir(current.runtime)
    _own_dir(current.socket_dir)
    return current


def _initdb(
    bindir: Path, lay: PgLayout, superuser_password: str, progress: Progress | None
) -> None:
    """Create the cluster once (PG_VERSION marks it), `postgres` its superuser."""
    if (lay.data / "PG_VERSION").exists() and not (lay.data / SUPERUSER_MARK).exists():
        # Made when the owner was the superuser, which a bootstrap superuser always stays: its
        # databases are the tests' and demos', so the cluster is made again.
        say(progress, f"postgres: {lay.data} has the owner as superuser; making it again")
        shutil.rmtree(lay.data)
    if (lay.data / "PG_VERSION").exists():
        return
    say(progress, f"postgres: initdb {lay.data}")
    # initdb runs as the server user, who cannot read the secrets folder: a copy for its run.
    pwfile = lay.runtime / ".initdb-password"
    _write_server_file(pwfile, superuser_password)
    superuser = postgres_access.SUPERUSER
    base = [str(bindir / "initdb"), "-D", str(lay.data), "-U", superuser, "-E", "UTF8"]
    base += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
    try:
        try:
            run_checked(_as_server_user([*base, "--locale=C.UTF-8"]), "initdb", cwd=lay.runtime)
        except StackError:
            # Systems without the C.UTF-8 locale still have C; initdb cleaned up its failed try.
            run_checked(_as_server_user([*base, "--locale=C"]), "initdb", cwd=lay.runtime)
    finally:
        pwfile.unlink(missing_ok=True)
    _write_server_file(
        lay.data / "postgresql.conf",
        "\n# deploy/local/postgres.py rewrites this file on every start.\ninclude = 'csods.conf'\n",
        append=True,
    )
    _write_server_file(lay.data / PASSWORD_MARK, _password_mark(superuser_password))
    _write_server_file(lay.data / SUPERUSER_MARK, superuser + "\n")


def _password_mark(superuser_password: str) -> str:
    # A digest, not the password: it tells whether the cluster has the current one.
    return sha256_short(superuser_password, 64) + "\n"


def _set_password(
    bindir: Path, lay: PgLayout, superuser_password: str, progress: Progress | None
) -> None:
    """Give the superuser the current password in single-user mode (a trust cluster has none)."""
    say(progress, "postgres: setting the superuser's password (scram-sha-256)")
    # Single-user mode, on the stopped server: nothing listens while the password is unset.
    # The statement goes through stdin, never argv; a failed statement is not echoed to the log.
    command = [str(bindir / "postgres"), "--single", "-D", str(lay.data)]
    command += ["-c", "log_min_error_statement=panic", "-c", "password_encryption=scram-sha-256"]
    statement = f"ALTER ROLE {postgres_access.SUPERUSER} PASSWORD '{superuser_password}';\n"
    result = subprocess.run(
        _as_server_user([*command, "postgres"]),
        input=statement,
        capture_output=True,
        text=True,
        check=False,
        cwd=lay.runtime,
    )
    output = (result.stdout + result.stderr).replace(superuser_password, "***")
    if result.returncode != 0 or "ERROR" in output:
        raise StackError(f"postgres --single failed (exit {result.returncode}):\n{output[-2000:]}")
    _write_server_file(lay.data / PASSWORD_MARK, _password_mark(superuser_password))


def _write_server_file(path: Path, text: str, *, append: bool = False) -> None:
    """Write a file in the server user's data folder, as that user's file."""
    # O_NOFOLLOW: as root, never write through a symlink planted in a folder another user owns.
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w") as handle:
        if is_root():
            os.fchown(handle.fileno(), *_server_ids())
        handle.write(text)


def _server_files(lay: PgLayout, server_port: int, issued: Issued) -> dict[str, str]:
    """The files this module writes into the data folder on every start, by name."""
    settings = (
        "# Written by deploy/local/postgres.py on every start; edits are overwritten.\n"
        "# fsync and synchronous_commit keep their defaults (on): this backs the crash tests.\n"
        "listen_addresses = '127.0.0.1'\n"
        f"port = {server_port}\n"
        f"unix_socket_directories = '{lay.socket_dir}'\n"
        "max_connections = 200\n"
        "shared_buffers = 128MB\n"
    )
    return {
        "csods.conf": settings + postgres_access.SETTINGS,
        "pg_hba.conf": postgres_access.HBA,
        "server.crt": issued.certificate.read_text(),
        "server.key": issued.key.read_text(),
    }


def _is_current(lay: PgLayout, files: dict[str, str], superuser_password: str) -> bool:
    """Tell whether the data folder holds these files and the cluster has this password."""
    wanted = {
        **files,
        PASSWORD_MARK: _password_mark(superuser_password),
        SUPERUSER_MARK: postgres_access.SUPERUSER + "\n",
    }
    for name, text in wanted.items():
        try:
            if (lay.data / name).read_text() != text:
                return False
        except OSError:
            return False
    return True


def running_pid(lay: PgLayout) -> int | None:
    """The postmaster's pid if this project's server runs, else None."""
    pid = read_pid(lay.data / "postmaster.pid")
    if pid is None or not pid_alive(pid):
        return None
    args = cmdline(pid)
    # postmaster.pid can be stale with its pid reused: check it is a postgres on our data folder.
    ours = bool(args) and Path(args[0]).name in ("postgres", "postmaster") and str(lay.data) in args
    return pid if ours else None


def _running_port(lay: PgLayout) -> int | None:
    try:
        lines = (lay.data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None


def _pg_ctl(bindir: Path, lay: PgLayout, *args: str) -> None:
    """Run pg_ctl on this project's data folder and wait (-w) for it to finish its job."""
    command = [str(bindir / "pg_ctl"), "-D", str(lay.data), "-w", "-t", str(START_TIMEOUT), *args]
    run_checked(_as_server_user(command), f"pg_ctl {args[-1]}", cwd=lay.runtime)


def _ensure_owner(
    bindir: Path,
    acc: postgres_access.PgAccess,
    server_port: int,
    owner_password: str,
    progress: Progress | None,
) -> None:
    """Make the schema owner (no superuser) and its database, as the superuser, over TLS."""
    # Host, user, TLS and the passfile come from the environment; the statements, holding the
    # owner's password verifier, come through stdin: nothing secret on a command line.
    env = {
        **os.environ,
        **postgres_access.client_environment(acc, server_port, postgres_access.SUPERUSER),
    }
    owner = postgres_access.OWNER
    attributes = "LOGIN NOSUPERUSER CREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS"
    verifier = password_clause(owner_password)
    create_if_missing = (
        "SELECT format('CREATE ROLE %I', :'owner')"
        " WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \\gexec\n"
        "SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')"
        " WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \\gexec\n"
    )
    settle = [
        f"ALTER ROLE {owner} {attributes} {verifier};",
        f"ALTER DATABASE {DATABASE} OWNER TO {owner};",
        # To drop a test database its services are still connected to (WITH (FORCE)).
        f"GRANT pg_signal_backend TO {owner};",
    ]
    script = create_if_missing + "\n".join(settle) + "\n"
    psql = [str(bindir / "psql"), "-Xq", "--no-password", "-v", "ON_ERROR_STOP=1", "-d", "postgres"]
    psql += ["-v", f"owner={owner}", "-v", f"database={DATABASE}", "-f", "-"]
    run_checked(psql, "psql (the owner and its database)", env=env, given=script)
    say(progress, f"postgres: owner {owner} (no superuser) and database {DATABASE} ready")


def start(root: Path, progress: Progress | None = None) -> bool:
    """Start the server unless it already runs; return True when this call started it."""
    server_port = port()
    state = layout(root).state
    state.mkdir(parents=True, exist_ok=True)
    with file_lock(state / ".lock"):
        bindir = _ensure_bindir(_data_major(layout(root)), progress)
        lay = _prepare(root, progress)
        acc = postgres_access.access(root)
        passwords, issued = postgres_access.provision(acc, server_port)
        files = _server_files(lay, server_port, issued)
        pid = running_pid(lay)
        if pid is not None:
            if _running_port(lay) not in (None, server_port):
                raise StackError(
                    f"this project's PostgreSQL already runs on port {_running_port(lay)}, not "
                    f"{server_port} ({PORT_VARIABLE}); stop it first"
                )
            if _is_current(lay, files, passwords.superuser):
                _ensure_owner(bindir, acc, server_port, passwords.owner, progress)
                say(progress, f"postgres: already running (pid {pid}) on 127.0.0.1:{server_port}")
                return False
            # E.g. a cluster from before passwords and TLS: convert it, then start it again.
            say(progress, f"postgres: restarting (pid {pid}) to apply its access settings")
            _pg_ctl(bindir, lay, "-m", "fast", "stop")
            _initdb(bindir, lay, passwords.superuser, progress)  # a cluster from before
            _launch(bindir, lay, acc, files=files, passwords=passwords, progress=progress)
            return False
        if port_accepts(server_port):
            raise StackError(
                f"port {server_port} is already in use by another process; stop it or set "
                f"{PORT_VARIABLE}"
            )
        stale = read_pid(lay.data / "postmaster.pid")  # left by a crash (kill -9)
        if stale is not None and not wait_reaped(stale, 30.0):
            raise StackError(
                f"the crashed postmaster (pid {stale}) is still a zombie after 30 s, so PostgreSQL "
                "would take it for a live server; retry once init has reaped it"
            )
        _initdb(bindir, lay, passwords.superuser, progress)
        _launch(bindir, lay, acc, files=files, passwords=passwords, progress=progress)
        return True


def _launch(
    bindir: Path,
    lay: PgLayout,
    acc: postgres_access.PgAccess,
    *,
    files: dict[str, str],
    passwords: postgres_access.Passwords,
    progress: Progress | None,
) -> None:
    """Bring a stopped, initialised cluster up to date and start it."""
    for name, text in files.items():
        _write_server_file(lay.data / name, text)
    if not _is_current(lay, files, passwords.superuser):
        _set_password(bindir, lay, passwords.superuser, progress)
    server_port = port()
    say(progress, f"postgres: starting on 127.0.0.1:{server_port} (log {lay.log})")
    try:
        _pg_ctl(bindir, lay, "-l", str(lay.log), "start")
    except StackError as error:
        raise StackError(f"{error}\nend of {lay.log}:\n{log_tail(lay.log)}") from None
    _ensure_owner(bindir, acc, server_port, passwords.owner, progress)
    say(progress, f"postgres: ready (pid {running_pid(lay)})")


def stop(root: Path, progress: Progress | None = None, *, immediate: bool = False) -> bool:
    """Stop this project's server with a fast shutdown (or, `immediate`, as a crash would:
    no checkpoint, recovery from the WAL on the next start); True when one was running."""
    lay = layout(root)
    if not lay.state.is_dir():
        return False
    with file_lock(lay.state / ".lock"):
        pid = running_pid(lay)
        if pid is None:
            return False
        bindir = find_bindir(_data_major(lay))
        if bindir is None:
            raise StackError(f"PostgreSQL (pid {pid}) runs but pg_ctl is no longer installed")
        say(progress, f"postgres: stopping (pid {pid}){' at once' if immediate else ''}")
        if immediate:
            _pg_ctl(bindir, lay, "-m", "immediate", "stop")
            return True
        try:
            _pg_ctl(bindir, lay, "-m", "fast", "stop")
        except StackError:
            # Sessions that ignore a fast shutdown for a minute: stop without a checkpoint.
            _pg_ctl(bindir, lay, "-m", "immediate", "stop")
        return True


def status(root: Path) -> tuple[int | None, str]:
    """The postmaster's pid (None when stopped) and a one-line description."""
    lay = layout(root)
    major = _data_major(lay)
    version = f"PostgreSQL {major}" if major else "PostgreSQL (not initialised)"
    where = f"data {lay.data}"
    if lay.relocated:
        where += f" (linked from {lay.state / 'data'}: '{SERVER_USER}' cannot reach the project)"
    return running_pid(lay), f"{version}, {where}, log {lay.log}"
