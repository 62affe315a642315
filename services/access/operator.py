"""The operator's way in: the provisioning super-user, and any principal's provisioned access.

From CSODS_KAFKA_* variables when a deployment sets them, otherwise from the local stack's
own files (its certificate authority, the super-user's certificate, the credential store).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from services.access.credentials import CredentialStore
from services.runtime.kafka_access import KafkaAccess, read_password
from services.runtime.sealing import FolderKeys
from services.runtime.settings import KEYS_FOLDER

if TYPE_CHECKING:
    from services.access.broker import Provisioned
    from services.access.grants import Deployment


def _local() -> tuple[str, KafkaAccess, CredentialStore]:
    from deploy.local import stack  # noqa: PLC0415 - only without a deployment's variables

    found = stack.addresses()
    admin = KafkaAccess(
        bootstrap=found.kafka_admin_bootstrap,
        protocol="SSL",
        ca_file=found.kafka_ca_file,
        certificate_file=found.kafka_admin_certificate,
        key_file=found.kafka_admin_key,
    )
    return found.kafka_bootstrap, admin, CredentialStore(found.kafka_credentials_dir)


def _path(variable: str) -> Path | None:
    value = os.environ.get(variable, "").strip()
    return Path(value) if value else None


def operator_access() -> KafkaAccess:
    """The provisioning super-user: CSODS_KAFKA_ADMIN_* variables, or the local stack's."""
    bootstrap = os.environ.get("CSODS_KAFKA_ADMIN_BOOTSTRAP", "").strip()
    if not bootstrap:
        return _local()[1]
    ca = _path("CSODS_KAFKA_CA_FILE")
    certificate = _path("CSODS_KAFKA_ADMIN_CERTIFICATE_FILE")
    if certificate is not None:
        key = _path("CSODS_KAFKA_ADMIN_KEY_FILE")
        return KafkaAccess(bootstrap, "SSL", ca_file=ca, certificate_file=certificate, key_file=key)
    username = os.environ.get("CSODS_KAFKA_ADMIN_USERNAME", "").strip() or None
    password_file = _path("CSODS_KAFKA_ADMIN_PASSWORD_FILE")
    password = (
        read_password(password_file, "CSODS_KAFKA_ADMIN_PASSWORD_FILE")
        if password_file
        else os.environ.get("CSODS_KAFKA_ADMIN_PASSWORD") or None
    )
    return KafkaAccess(bootstrap, "SASL_SSL", username=username, password=password, ca_file=ca)


def owner_database_url() -> str:
    """The schema owner's database URL: CSODS_DATABASE_URL, or the local stack's."""
    from deploy.local import stack  # noqa: PLC0415 - only without a deployment's variables

    return os.environ.get("CSODS_DATABASE_URL", "").strip() or stack.addresses().database_url


def credential_store() -> CredentialStore:
    """Where provisioned passwords are kept: CSODS_KAFKA_CREDENTIALS_DIR, or the stack's."""
    folder = _path("CSODS_KAFKA_CREDENTIALS_DIR")
    return CredentialStore(folder) if folder else _local()[2]


def tenant_keys() -> FolderKeys:
    """The tenants' keys: CSODS_KEYS_DIR, or the `keys` folder beside the passwords."""
    folder = _path("CSODS_KEYS_DIR")
    return FolderKeys(folder or credential_store().folder / KEYS_FOLDER)


def principal_access(tenant: str, service: str) -> KafkaAccess:
    """A provisioned principal's access (ops tools, the demo's observer)."""
    bootstrap = os.environ.get("CSODS_KAFKA_BOOTSTRAP", "").strip() or _local()[0]
    ca = _path("CSODS_KAFKA_CA_FILE") or operator_access().ca_file
    name = f"{tenant}.{service}"
    return KafkaAccess(
        bootstrap, "SASL_SSL", username=name, password=credential_store().password(name), ca_file=ca
    )


def provision_deployment(deployment: Deployment) -> tuple[Provisioned, int]:
    """Provision a deployment as the operator: the broker's walls, then the database's logins."""
    from services.access.broker import provision  # noqa: PLC0415 - confluent-kafka on demand
    from services.access.database import provision_database  # noqa: PLC0415

    store = credential_store()
    made = provision(operator_access(), deployment, store)
    return made, provision_database(owner_database_url(), deployment, store)
