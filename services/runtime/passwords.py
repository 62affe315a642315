"""A login role's password, sent to the server only as its SCRAM verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)
SALT_BYTES = 16


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
