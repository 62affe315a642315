"""Settings from the environment (prefix `CSODS_`); one instance serves one tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.types import Tenant

KEYS_FOLDER = "keys"  # of the credentials folder: the tenants' keys
DATABASE_FOLDER = "database"  # of the credentials folder, as services/access writes it


class Settings(BaseSettings):
    """What a service process needs to know to run."""

    model_config = SettingsConfigDict(env_prefix="CSODS_", extra="ignore", frozen=True)

    tenant: Tenant = Field(description="The force (or agency) this instance serves.")
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers.")
    kafka_security_protocol: Literal["SASL_SSL", "SSL"] = Field(
        default="SASL_SSL",
        description="TLS always: SCRAM over TLS, or TLS with a client certificate.",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = Field(
        default="SCRAM-SHA-512", description="The SCRAM mechanism the broker's listener takes."
    )
    kafka_username: str | None = Field(
        default=None, description="The Kafka principal; default: <tenant>.<service>."
    )
    kafka_password: SecretStr | None = Field(default=None, description="Its SCRAM password.")
    kafka_password_file: Path | None = Field(
        default=None, description="A file holding the SCRAM password (a mounted secret)."
    )
    kafka_credentials_dir: Path | None = Field(
        default=None,
        description="A folder of provisioned passwords, one file per principal "
        "(what `csods access provision` writes).",
    )
    kafka_ca_file: Path | None = Field(
        default=None, description="PEM authority the broker's certificate is checked against."
    )
    kafka_certificate_file: Path | None = Field(
        default=None, description="SSL only: the client certificate (PEM)."
    )
    kafka_key_file: Path | None = Field(default=None, description="SSL only: its key (PEM).")
    database_url: str = Field(
        default="postgresql://csods@127.0.0.1:15432/csods",
        description=(
            "PostgreSQL as the schema owner: migrations and role set-up run with it. Give the "
            "password in a passfile (passfile= in the URL, or PGPASSFILE), not in the URL."
        ),
    )
    app_database_url: str | None = Field(
        default=None,
        description=(
            "PostgreSQL as the tenant's own login role for the service, under row-level "
            "security. Default: database_url with the user replaced by <tenant>.<service>, "
            "its query (sslmode, sslrootcert) kept."
        ),
    )
    app_database_password: SecretStr | None = Field(
        default=None, description="The login role's password (else the provisioned file)."
    )
    database_credentials_dir: Path | None = Field(
        default=None,
        description="A folder of provisioned database passwords, one file per login role; "
        "default: the `database` folder of kafka_credentials_dir.",
    )
    keys_dir: Path | None = Field(
        default=None,
        description="A folder of the tenants' keys, one owner-only file per tenant and key id "
        "(a mounted secret); dead letters are sealed under them. Default: the `keys` folder "
        "of kafka_credentials_dir. Neither: the process refuses to start.",
    )
    migrate_at_start: bool = Field(
        default=True,
        description="Apply the schema's migrations as the owner at start. A deployment that "
        "migrates in a step of its own (`csods database migrate`) sets it false and gives "
        "the service only its own login (CSODS_APP_DATABASE_URL).",
    )
    pool_size: int = Field(default=5, ge=2, description="Connections in the service's pool.")
    partitions_in_parallel: int = Field(
        default=2,
        ge=1,
        description="Partitions whose records are applied at once, each partition's in order "
        "(as that many replicas would); keep it below pool_size.",
    )
    outbox_batch: int = Field(default=200, ge=1, description="Outbox rows claimed per round.")
    outbox_poll_seconds: float = Field(
        default=1.0, gt=0, description="Outbox poll when no notification arrives."
    )
    startup_wait_seconds: float = Field(
        default=180.0,
        ge=0,
        description="How long a starting process waits for a broker that is still starting or "
        "recovering before it gives up; a refusal or a bad credential stops it at once.",
    )
    outbox_ack_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="The longest the relay waits for the broker to acknowledge a batch; then "
        "the batch is rolled back and sent again by a new producer.",
    )
    housekeeping_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How often the process deletes inbox claims past their horizon (the "
        "longest retention of what it reads, plus a week and a day) and sent outbox rows; "
        "0 turns it off.",
    )
    outbox_keep_sent_seconds: float = Field(
        default=86400.0,
        ge=0,
        description="How long a sent outbox row is kept to look into before it is deleted.",
    )
    max_message_bytes: int = Field(
        default=512 * 1024, ge=1024, description="A larger payload is dead-lettered unread."
    )
    max_attempts: int = Field(
        default=5, ge=1, description="Tries of a failing handler before its message is dead."
    )
    retry_backoff_seconds: float = Field(default=0.2, ge=0, description="First retry delay.")
    http_host: str = Field(default="127.0.0.1", description="Where the HTTP API listens.")
    http_port: int | None = Field(
        default=None, ge=1, le=65535, description="The HTTP API's port; none: no HTTP API."
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="Prometheus /metrics port; none: not served."
    )
    staff_issuer: str | None = Field(
        default=None,
        description=(
            "The force's identity provider, as the `iss` of its tokens; `{tenant}` stands for "
            "the force (one setting for several forces' realms). Discovery and keys are read "
            "from it. None: every staff route is refused."
        ),
    )
    staff_audience: str = Field(default="csods", description="The `aud` staff tokens must name.")
    staff_ca_file: Path | None = Field(
        default=None, description="PEM authority the issuer's certificate is checked against."
    )
    log_json: bool | None = Field(default=None, description="JSON logs; default: when no TTY.")
    log_level: str = Field(default="info", description="Lowest log level written.")
    otlp_endpoint: str | None = Field(
        default=None, description="An OTLP/HTTP collector the process's traces are sent to."
    )
    trace_file: Path | None = Field(
        default=None, description="A file the process's spans are appended to as JSON lines."
    )
    fault_crash_after_commit: str | None = Field(
        default=None,
        description=(
            "Tests only: a ce_type; the process kills itself with SIGKILL after committing "
            "a new effect for a message of that type and before committing its offset."
        ),
    )


def database_password(settings: Settings, role: str) -> str | None:
    """The login role's password: given, else its provisioned file, else none (the passfile)."""
    if settings.app_database_password is not None:
        return settings.app_database_password.get_secret_value()
    folder = settings.database_credentials_dir
    if folder is None and settings.kafka_credentials_dir is not None:
        folder = settings.kafka_credentials_dir / DATABASE_FOLDER
    if folder is None or not (folder / role).is_file():
        return None
    return (folder / role).read_text().strip()


def keys_folder(settings: Settings) -> Path:
    """Where the tenants' keys are kept: given, else beside the provisioned passwords."""
    if settings.keys_dir is not None:
        return settings.keys_dir
    if settings.kafka_credentials_dir is not None:
        return settings.kafka_credentials_dir / KEYS_FOLDER
    raise ValueError(
        "keys_dir: where the tenant's keys are kept is not set (CSODS_KEYS_DIR, or "
        "CSODS_KAFKA_CREDENTIALS_DIR with a keys folder)"
    )
