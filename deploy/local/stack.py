"""The local real stack (Kafka, PostgreSQL, the staff issuer) without Docker: the project's API."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from deploy.local import issuer, kafka, postgres
from deploy.local.common import Progress, StackError

__all__ = [
    "COMPONENTS",
    "ComponentStatus",
    "StackAddresses",
    "StackError",
    "addresses",
    "down",
    "project_root",
    "status",
    "up",
]

# Each component starts and stops independently, so both run in parallel threads.
_STARTERS: dict[str, Callable[[Path, Progress | None], bool]] = {
    "kafka": kafka.start,
    "postgres": postgres.start,
    "issuer": issuer.start,
}
_STOPPERS: dict[str, Callable[[Path, Progress | None], bool]] = {
    "kafka": kafka.stop,
    "postgres": postgres.stop,
    "issuer": issuer.stop,
}
COMPONENTS: tuple[str, ...] = tuple(_STARTERS)


@dataclass(frozen=True)
class StackAddresses:
    """Where clients reach the stack, and the files that let them in."""

    kafka_bootstrap: str  # "127.0.0.1:19092", SASL_SSL
    database_url: str  # "postgresql://csods@127.0.0.1:15432/csods?sslmode=verify-full&..."
    kafka_admin_bootstrap: str  # "127.0.0.1:19094", TLS with the super-user's certificate
    kafka_ca_file: Path
    kafka_admin_certificate: Path
    kafka_admin_key: Path
    kafka_credentials_dir: Path  # provisioned principals' passwords, one file each
    staff_issuer: str  # "https://127.0.0.1:19443/realms/{tenant}": each force's own issuer
    issuer_folder: Path  # the local issuer's keys and directory secret

    def client_env(self) -> dict[str, str]:
        """The variables a service process of this stack needs besides its tenant."""
        return {
            "CSODS_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "CSODS_KAFKA_CA_FILE": str(self.kafka_ca_file),
            "CSODS_KAFKA_CREDENTIALS_DIR": str(self.kafka_credentials_dir),
            "CSODS_DATABASE_URL": self.database_url,
            "CSODS_STAFF_ISSUER": self.staff_issuer,
            "CSODS_STAFF_CA_FILE": str(self.kafka_ca_file),
        }


@dataclass(frozen=True)
class ComponentStatus:
    """One component's state as status() reports it."""

    name: str  # "kafka" / "postgres"
    running: bool
    address: str
    pid: int | None
    detail: str  # version, data folder, log file


HOME_VARIABLE = "CSODS_HOME"


def project_root() -> Path:
    """Where the stack keeps its state (`.stack/`): the repository root in a clone (the parent
    of deploy/); installed from the wheel, the folder CSODS_HOME (~/.local/share/csods)."""
    source = Path(__file__).resolve().parents[2]
    if (source / "pyproject.toml").is_file():
        return source
    given = os.environ.get(HOME_VARIABLE, "").strip()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    home = Path(given) if given else Path(data) / "csods"
    home.mkdir(parents=True, exist_ok=True)
    return home


def addresses(root: Path | None = None) -> StackAddresses:
    """The addresses the stack listens on (ports come from CSODS_STACK_*_PORT or defaults)."""
    # Every clone uses the same ports unless the environment says otherwise; the database URL
    # names the clone's own passfile and certificate authority.
    root = root or project_root()
    keys = kafka.secrets(root)
    return StackAddresses(
        kafka_bootstrap=kafka.bootstrap(root),
        database_url=postgres.database_url(root),
        kafka_admin_bootstrap=kafka.admin_bootstrap(root),
        kafka_ca_file=keys.ca,
        kafka_admin_certificate=keys.admin.certificate,
        kafka_admin_key=keys.admin.key,
        kafka_credentials_dir=keys.users,
        staff_issuer=issuer.issuer_template(),
        issuer_folder=issuer.folder(root),
    )


def _run_all(
    actions: dict[str, Callable[[Path, Progress | None], bool]],
    names: Sequence[str],
    root: Path,
    progress: Progress | None,
) -> tuple[list[str], list[str]]:
    """Run one action per component in parallel; return the names that did something and errors."""
    with ThreadPoolExecutor(max_workers=len(names) or 1, thread_name_prefix="csods-stack") as pool:
        futures: dict[str, Future[bool]] = {
            name: pool.submit(actions[name], root, progress) for name in names
        }
    acted, errors = [], []
    for name, future in futures.items():
        error = future.exception()
        if error is not None:
            errors.append(f"{name}: {error}")
        elif future.result():
            acted.append(name)
    return acted, errors


def up(
    root: Path | None = None, progress: Progress | None = None
) -> tuple[StackAddresses, list[str]]:
    """Start whatever is not running; return the addresses and the components this call started."""
    root = root or project_root()
    started, errors = _run_all(_STARTERS, COMPONENTS, root, progress)
    if errors:
        # Leave things as they were: stop what this call started before reporting the failure.
        if started:
            _run_all(_STOPPERS, started, root, progress)
        raise StackError("the local stack did not start:\n" + "\n".join(errors))
    return addresses(root), started


def down(
    root: Path | None = None,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> list[str]:
    """Stop all components, or only the named ones; return the names that were running."""
    root = root or project_root()
    names = list(COMPONENTS if only is None else only)
    unknown = sorted(set(names) - set(COMPONENTS))
    if unknown:
        raise ValueError(f"unknown stack components {unknown}; known: {list(COMPONENTS)}")
    stopped, errors = _run_all(_STOPPERS, names, root, progress)
    if errors:
        raise StackError("the local stack did not stop cleanly:\n" + "\n".join(errors))
    return stopped


def status(root: Path | None = None) -> list[ComponentStatus]:
    """Report each component: running or not, address, pid and where its files are."""
    root = root or project_root()
    kafka_pid, kafka_detail = kafka.status(root)
    pg_pid, pg_detail = postgres.status(root)
    issuer_pid, issuer_detail = issuer.status(root)
    return [
        ComponentStatus(
            "kafka", kafka_pid is not None, kafka.bootstrap(root), kafka_pid, kafka_detail
        ),
        ComponentStatus(
            "postgres", pg_pid is not None, postgres.database_url(root), pg_pid, pg_detail
        ),
        ComponentStatus(
            "issuer", issuer_pid is not None, issuer.base_url(), issuer_pid, issuer_detail
        ),
    ]
