"""Sealed bytes: AES-256-GCM under a key of the tenant, the key named in the record.

What a force keeps on a topic that holds personal data as it arrived (its dead letters) is
sealed before it leaves the service: the outbox row and the record both hold only the
sealed bytes, and a reader without the tenant's key sees noise. The associated data binds
the sealed bytes to where they belong (the tenant and the record's coordinates), so a sealed
value moved to another record does not open.

Keys are behind `TenantKeys`. `FolderKeys` is the local stack's and a mounted secret's: one
owner-only file per tenant and key id, made once, race-free, by whichever process of the
tenant asks first. A real KMS or Vault takes its place by implementing the same two calls
(`current`, and `key` by id), with the tenant's keys readable only by the tenant's
principals; rotation is a new current id, old ids kept until nothing sealed under them is
kept. Deleting a key makes everything sealed under it unreadable for good.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from deploy.local.secrets import made_once, owner_only_dir, read_private

ALGORITHM = "aes-256-gcm"
NONCE_BYTES = 12
KEY_BYTES = 32
CURRENT = "k1"  # the one key id until keys rotate
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class SealError(ValueError):
    """Sealed bytes that do not open: a key that is gone, or bytes not sealed for here."""


class TenantKeys(Protocol):
    """Where a tenant's keys are kept."""

    def current(self, tenant: str) -> tuple[str, bytes]:
        """The id and bytes of the key new things are sealed under."""
        ...

    def key(self, tenant: str, key_id: str) -> bytes:
        """A key by its id; `SealError` if there is no such key (or no longer)."""
        ...


@dataclass(frozen=True)
class FolderKeys:
    """A folder of keys: `<folder>/<tenant>/<key id>`, each owner-only."""

    folder: Path

    def _path(self, tenant: str, key_id: str) -> Path:
        if not _NAME.match(tenant) or not _NAME.match(key_id):
            raise SealError("tenant or key id: not a name a key can have")
        return owner_only_dir(self.folder / tenant) / key_id

    def current(self, tenant: str) -> tuple[str, bytes]:
        """The tenant's key, made at random the first time any of its processes asks."""
        return CURRENT, made_once(self._path(tenant, CURRENT), lambda: os.urandom(KEY_BYTES))

    def key(self, tenant: str, key_id: str) -> bytes:
        """A key by its id, never made here: a key asked for by id was made before."""
        path = self._path(tenant, key_id)
        if not path.exists():
            raise SealError(f"key {key_id} of {tenant}: not kept (never made, or destroyed)")
        return read_private(path)


@dataclass
class MemoryKeys:
    """Keys held in memory: for component tests, and processes that keep nothing."""

    keys: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def current(self, tenant: str) -> tuple[str, bytes]:
        """The tenant's key, made at random on first use."""
        found = self.keys.setdefault((tenant, CURRENT), secrets.token_bytes(KEY_BYTES))
        return CURRENT, found

    def key(self, tenant: str, key_id: str) -> bytes:
        """A key by its id."""
        try:
            return self.keys[(tenant, key_id)]
        except KeyError:
            raise SealError(f"key {key_id} of {tenant}: not kept") from None


def seal(keys: TenantKeys, tenant: str, plain: bytes, bound_to: bytes) -> tuple[str, bytes]:
    """`plain` sealed under the tenant's current key: (key id, nonce + ciphertext + tag)."""
    key_id, key = keys.current(tenant)
    nonce = os.urandom(NONCE_BYTES)
    return key_id, nonce + AESGCM(key).encrypt(nonce, plain, bound_to)


def unseal(keys: TenantKeys, tenant: str, key_id: str, sealed: bytes, bound_to: bytes) -> bytes:
    """What `seal` sealed, given the same tenant, key id and binding; `SealError` otherwise."""
    key = keys.key(tenant, key_id)
    if len(key) != KEY_BYTES or len(sealed) < NONCE_BYTES + 16:
        raise SealError(f"key {key_id} of {tenant}: the sealed bytes do not open")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], bound_to)
    except InvalidTag:
        raise SealError(f"key {key_id} of {tenant}: the sealed bytes do not open") from None
