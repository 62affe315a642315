"""Where the tests find Kafka and PostgreSQL (architecture §8), and how they get in.

In order: addresses in CSODS_KAFKA_BOOTSTRAP and CSODS_DATABASE_URL (the operator's
credentials from CSODS_KAFKA_ADMIN_*, the authority from CSODS_KAFKA_CA_FILE, passwords in
CSODS_KAFKA_CREDENTIALS_DIR); a Docker engine through testcontainers; otherwise the project's
local stack, started once for the session. Never a skip: if none of them can be had, the
session fails saying why. The broker is always secured: every client of the tests is a
provisioned principal (or the operator, who provisions).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from services.access.credentials import CredentialStore
from services.runtime.kafka_access import KafkaAccess
from services.runtime.sealing import FolderKeys
from services.runtime.settings import KEYS_FOLDER


@dataclass(frozen=True)
class FoundStack:
    """A broker and a database server the tests may use, who may use them, how to let go."""

    kafka_bootstrap: str
    database_url: str
    operator: KafkaAccess  # the provisioning super-user: topics, principals, ACLs
    credentials: CredentialStore  # provisioned principals' passwords
    ca_file: Path | None  # None: the system's trusted authorities
    how: str
    release: Callable[[], None]

    def client_env(self) -> Mapping[str, str]:
        """What a service process needs besides its tenant to reach the broker and database."""
        env = {
            "CSODS_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "CSODS_KAFKA_CREDENTIALS_DIR": str(self.credentials.folder),
            "CSODS_DATABASE_URL": self.database_url,
        }
        if self.ca_file is not None:
            env["CSODS_KAFKA_CA_FILE"] = str(self.ca_file)
        return env

    @property
    def keys(self) -> FolderKeys:
        """The tenants' keys, where the services find them beside the passwords."""
        return FolderKeys(self.credentials.folder / KEYS_FOLDER)

    def principal_access(self, tenant: str, service: str) -> KafkaAccess:
        """The access of a provisioned principal `<tenant>.<service>` (a portal, ops tools)."""
        name = f"{tenant}.{service}"
        return KafkaAccess(
            self.kafka_bootstrap,
            "SASL_SSL",
            username=name,
            password=self.credentials.password(name),
            ca_file=self.ca_file,
        )


def find_stack() -> FoundStack:
    """Find or start a stack."""
    kafka, database = os.environ.get("CSODS_KAFKA_BOOTSTRAP"), os.environ.get("CSODS_DATABASE_URL")
    if kafka and database:
        return _environment(kafka, database)
    if os.environ.get("CSODS_TESTS_STACK") != "local" and _docker_answers():
        return _containers()
    return _local()


def _environment(kafka: str, database: str) -> FoundStack:
    from services.access.operator import credential_store, operator_access  # noqa: PLC0415

    ca = os.environ.get("CSODS_KAFKA_CA_FILE", "").strip()
    return FoundStack(
        kafka_bootstrap=kafka,
        database_url=database,
        operator=operator_access(),
        credentials=credential_store(),
        ca_file=Path(ca) if ca else None,
        how="environment",
        release=lambda: None,
    )


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]  # noqa: PLC0415 - only when looking
    except ImportError:
        return False
    try:
        docker.from_env(timeout=3).ping()
    except Exception:  # noqa: BLE001 - any failure means no usable engine
        return False
    return True


class SecuredBrokerNeededError(RuntimeError):
    """The stack found cannot enforce the walls the tests assert."""


def _containers() -> FoundStack:
    # testcontainers' Kafka listens in plaintext with no authorizer: every test of the walls
    # would pass for the wrong reason, and every client here speaks SASL_SSL. Until a secured
    # container (SASL_SSL listener, the StandardAuthorizer, a super-user certificate) is set
    # up here, say so rather than run on an open broker.
    raise SecuredBrokerNeededError(
        "a Docker engine answers, but the tests need a secured Kafka (SASL_SSL, SCRAM, "
        "ACLs) that testcontainers' image does not provide: give CSODS_KAFKA_BOOTSTRAP, "
        "CSODS_DATABASE_URL, CSODS_KAFKA_CA_FILE, CSODS_KAFKA_CREDENTIALS_DIR and the "
        "operator's CSODS_KAFKA_ADMIN_* variables, or set CSODS_TESTS_STACK=local to use the "
        "project's local stack"
    )


def _local() -> FoundStack:
    from deploy.local import stack  # noqa: PLC0415 - only without Docker

    addresses, started = stack.up()

    def release() -> None:
        if started:
            stack.down(only=started)

    how = f"local ({'started ' + ', '.join(started) if started else 'already running'})"
    return FoundStack(
        kafka_bootstrap=addresses.kafka_bootstrap,
        database_url=addresses.database_url,
        operator=KafkaAccess(
            addresses.kafka_admin_bootstrap,
            "SSL",
            ca_file=addresses.kafka_ca_file,
            certificate_file=addresses.kafka_admin_certificate,
            key_file=addresses.kafka_admin_key,
        ),
        credentials=CredentialStore(addresses.kafka_credentials_dir),
        ca_file=addresses.kafka_ca_file,
        how=how,
        release=release,
    )
