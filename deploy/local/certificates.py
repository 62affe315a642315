"""The local stack's own certificate authority and server certificates (``cryptography``).

The authority signs a certificate for each server of the stack (the Kafka broker, PostgreSQL)
for the names clients dial: ``localhost`` and ``127.0.0.1``. Clients trust only this
authority's certificate (``ca.pem``), so a client of the stack verifies whom it talks to
exactly as it would in production. Keys are ECDSA P-256, kept as unencrypted PKCS#8 in files
only their owner can read (the servers read them at start with no password prompt).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from deploy.local.secrets import read_private, write_private

CA_DAYS = 3650
SERVER_DAYS = 825
RENEW_BEFORE = dt.timedelta(days=30)
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1",)


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, as PEM files."""

    certificate: Path
    key: Path

    @property
    def chain(self) -> Path:
        """Key, then certificate, then the authority: the PEM keystore Kafka reads."""
        return self.certificate.with_name(self.certificate.stem + "-keystore.pem")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "csods local stack"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _still_good(path: Path, now: dt.datetime) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return False
    return certificate.not_valid_after_utc - RENEW_BEFORE > now


def authority(folder: Path) -> Issued:
    """The stack's certificate authority, made the first time (or when it nears its end)."""
    issued = Issued(folder / "ca.pem", folder / "ca-key.pem")
    now = dt.datetime.now(dt.UTC)
    if issued.key.exists() and _still_good(issued.certificate, now):
        return issued
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("csods local stack authority")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(issued.key, _key_pem(key))
    # The authority's certificate is public: every client of the stack is given it.
    write_private(issued.certificate, certificate.public_bytes(serialization.Encoding.PEM))
    issued.certificate.chmod(0o644)
    return issued


def server(folder: Path, name: str, ca: Issued, *, client_auth: bool = False) -> Issued:
    """A server certificate for loopback, signed by the authority (renewed when near its end)."""
    return issue(folder, name, ca, server_auth=True, client_auth=client_auth)


def client(folder: Path, name: str, ca: Issued) -> Issued:
    """A client certificate whose common name is the identity it proves."""
    return issue(folder, name, ca, server_auth=False, client_auth=True)


def issue(folder: Path, name: str, ca: Issued, *, server_auth: bool, client_auth: bool) -> Issued:
    """A certificate for `name` signed by the authority, reused while good and CA-signed."""
    issued = Issued(folder / f"{name}.pem", folder / f"{name}-key.pem")
    now = dt.datetime.now(dt.UTC)
    ca_certificate = x509.load_pem_x509_certificate(ca.certificate.read_bytes())
    if issued.key.exists() and issued.chain.exists() and _still_good(issued.certificate, now):
        current = x509.load_pem_x509_certificate(issued.certificate.read_bytes())
        if current.issuer == ca_certificate.subject and _signed_by(current, ca_certificate):
            return issued
    ca_key = serialization.load_pem_private_key(read_private(ca.key), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    usages = [ExtendedKeyUsageOID.SERVER_AUTH] if server_auth else []
    usages += [ExtendedKeyUsageOID.CLIENT_AUTH] if client_auth else []
    alternative = [x509.DNSName(host) for host in SERVER_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(address)) for address in SERVER_ADDRESSES
    ]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if server_auth:
        builder = builder.add_extension(x509.SubjectAlternativeName(alternative), critical=False)
    certificate = (
        builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
    write_private(issued.key, _key_pem(key))
    write_private(issued.certificate, certificate_pem)
    write_private(issued.chain, _key_pem(key) + certificate_pem)
    return issued


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
