"""Where provisioned principals' passwords are kept: one owner-only file per principal.

The local stack keeps them in its secrets folder, outside the repository; a service finds its
own with CSODS_KAFKA_CREDENTIALS_DIR. A real deployment puts the same files in its secret
store (a Kubernetes Secret mounted as files, Vault's agent) or sets CSODS_KAFKA_PASSWORD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from deploy.local.secrets import password
from services.runtime.settings import DATABASE_FOLDER

_PRINCIPAL = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+$")


@dataclass(frozen=True)
class CredentialStore:
    """A folder of principals' passwords."""

    folder: Path

    def path(self, principal: str) -> Path:
        """The file of one principal's password."""
        if not _PRINCIPAL.match(principal):
            raise ValueError(f"principal: {principal[:80]!r} is not <tenant>.<service>")
        return self.folder / principal

    def password(self, principal: str) -> str:
        """The principal's password, made at random the first time."""
        return password(self.path(principal))

    def database(self) -> CredentialStore:
        """The same principals' database passwords: a secret of their own, beside these."""
        return CredentialStore(self.folder / DATABASE_FOLDER)

    def principals(self) -> list[str]:
        """Every principal whose password is kept here, by name."""
        if not self.folder.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.folder.iterdir()
            if entry.is_file() and _PRINCIPAL.match(entry.name)
        )

    def forget(self, principal: str) -> None:
        """Delete a principal's password (deprovisioning)."""
        self.path(principal).unlink(missing_ok=True)
