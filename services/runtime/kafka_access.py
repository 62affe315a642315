"""How a client reaches the broker and proves who it is: TLS always, then SCRAM or a certificate.

Every Kafka client of the project (services, relays, ops tools, the demo, the benchmark, the
tests) is built from one `KafkaAccess`, so no client can leave security out.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aiokafka.helpers import create_ssl_context

if TYPE_CHECKING:  # imported where used: a bare aiokafka client (the bench's baseline) stays bare
    from services.runtime.settings import Settings

Protocol = Literal["SASL_SSL", "SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


class AccessError(ValueError):
    """A client cannot be built: the message names the setting that is missing or wrong."""


@dataclass(frozen=True)
class KafkaAccess:
    """A bootstrap address and the credentials of one principal."""

    bootstrap: str
    protocol: Protocol = "SASL_SSL"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    mechanism: Mechanism = "SCRAM-SHA-512"
    ca_file: Path | None = None  # None: the system's trusted authorities
    certificate_file: Path | None = None  # SSL: the client certificate proving the principal
    key_file: Path | None = None

    def __post_init__(self) -> None:
        if self.protocol == "SASL_SSL" and not (self.username and self.password):
            raise AccessError(
                "CSODS_KAFKA_PASSWORD (or CSODS_KAFKA_PASSWORD_FILE or "
                f"CSODS_KAFKA_CREDENTIALS_DIR): no password for Kafka principal {self.username}"
            )
        if self.protocol == "SSL" and not (self.certificate_file and self.key_file):
            raise AccessError("CSODS_KAFKA_CERTIFICATE_FILE and CSODS_KAFKA_KEY_FILE: not set")
        for setting, path in (
            ("CSODS_KAFKA_CA_FILE", self.ca_file),
            ("CSODS_KAFKA_CERTIFICATE_FILE", self.certificate_file),
            ("CSODS_KAFKA_KEY_FILE", self.key_file),
        ):
            if path is not None and not path.is_file():
                raise AccessError(f"{setting}: {path} is not a readable file")

    @property
    def principal(self) -> str:
        """Who the broker sees: the SCRAM user, or the certificate's common name."""
        if self.username:
            return self.username
        return self.certificate_file.stem if self.certificate_file else "(certificate)"

    def as_user(self, username: str, password: str) -> KafkaAccess:
        """The same broker and authority, as another SCRAM principal."""
        return replace(
            self,
            protocol="SASL_SSL",
            username=username,
            password=password,
            certificate_file=None,
            key_file=None,
        )

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """TLS that verifies the broker against the authority (and shows our certificate)."""
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ca_file) if self.ca_file else None,
            certfile=str(self.certificate_file) if self.certificate_file else None,
            keyfile=str(self.key_file) if self.key_file else None,
        )
        return context

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.protocol,
            "ssl_context": self.ssl_context,
        }
        if self.protocol == "SASL_SSL":
            options |= {
                "sasl_mechanism": self.mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return options

    def confluent(self) -> dict[str, str]:
        """Configuration of a confluent-kafka (librdkafka) client."""
        config = {"bootstrap.servers": self.bootstrap, "security.protocol": self.protocol}
        if self.ca_file is not None:
            config["ssl.ca.location"] = str(self.ca_file)
        if self.protocol == "SASL_SSL":
            assert self.username is not None
            assert self.password is not None
            config |= {
                "sasl.mechanisms": self.mechanism,
                "sasl.username": self.username,
                "sasl.password": self.password,
            }
        else:
            assert self.certificate_file is not None
            assert self.key_file is not None
            config |= {
                "ssl.certificate.location": str(self.certificate_file),
                "ssl.key.location": str(self.key_file),
            }
        return config


def read_password(path: Path, setting: str) -> str:
    """A password kept in a file; the error names the setting, never the file's content."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise AccessError(f"{setting}: cannot read {path} ({exc.strerror})") from exc
    if not text:
        raise AccessError(f"{setting}: {path} is empty")
    return text


def access_for(settings: Settings, service: str) -> KafkaAccess:
    """The access of one service of the settings' tenant: principal `<tenant>.<service>`."""
    username = settings.kafka_username or f"{settings.tenant}.{service}"
    password: str | None = None
    if settings.kafka_password is not None:
        password = settings.kafka_password.get_secret_value()
    elif settings.kafka_password_file is not None:
        password = read_password(settings.kafka_password_file, "CSODS_KAFKA_PASSWORD_FILE")
    elif settings.kafka_credentials_dir is not None and settings.kafka_security_protocol != "SSL":
        password = read_password(
            settings.kafka_credentials_dir / username, "CSODS_KAFKA_CREDENTIALS_DIR"
        )
    return KafkaAccess(
        bootstrap=settings.kafka_bootstrap,
        protocol=settings.kafka_security_protocol,
        username=username if settings.kafka_security_protocol == "SASL_SSL" else None,
        password=password,
        mechanism=settings.kafka_sasl_mechanism,
        ca_file=settings.kafka_ca_file,
        certificate_file=settings.kafka_certificate_file,
        key_file=settings.kafka_key_file,
    )
