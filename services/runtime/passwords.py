"""A service role's password: found in the owner's passfile, sent to the server only hashed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import urllib.parse
from pathlib import Path

SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)
SALT_BYTES = 16
_FIELD_SEPARATOR = re.compile(r"(?<!\\):")


def passfile_password(dsn: str, user: str) -> str | None:
    """The password for `user` in the passfile the DSN names (`passfile=`), if it has a line."""
    parts = urllib.parse.urlsplit(dsn)
    named = urllib.parse.parse_qs(parts.query).get("passfile")
    if not named:
        return None
    host, port = parts.hostname or "localhost", str(parts.port or 5432)
    database = parts.path.lstrip("/") or user
    try:
        lines = Path(named[-1]).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [_unescape(field) for field in _FIELD_SEPARATOR.split(line, maxsplit=4)]
        if len(fields) != 5:
            continue
        wanted = (host, port, database, user)
        # As libpq reads it: the first line whose four fields match (or are *) wins.
        if all(given in ("*", value) for given, value in zip(fields[:4], wanted, strict=True)):
            return fields[4]
    return None


def _unescape(field: str) -> str:
    return field.replace("\\:", ":").replace("\\\\", "\\")


def scram_verifier(password: str) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores, so the password never reaches the server."""
    # As psql's \password does: a statement holding the plain password could end up in the
    # server's log (a failed statement is logged with its text).
    salt = os.urandom(SALT_BYTES)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    encoded = [base64.b64encode(part).decode() for part in (salt, stored_key, server_key)]
    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{encoded[0]}${encoded[1]}:{encoded[2]}"


def password_clause(password: str) -> str:
    """`PASSWORD '<verifier>'` for CREATE or ALTER ROLE."""
    if not password.isascii():
        # The server applies SASLprep to other passwords before hashing; let it do so.
        escaped = password.replace("'", "''")
        return f"PASSWORD '{escaped}'"
    return f"PASSWORD '{scram_verifier(password)}'"
