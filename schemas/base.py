"""The base of every message model."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    """A message of the scheme: frozen, JSON on the wire, named by its `ce_type`."""

    # Unknown fields are ignored, not refused: within v1 a producer may add optional
    # fields and older consumers must keep working (architecture §3).
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    TYPE: ClassVar[str]
    """The stable `ce_type` of this message, ending in `.v1`."""

    ADDRESSED_TO: ClassVar[str | None] = None
    """On an inbox: the field naming the tenant the message is for, which must be the reader."""

    def to_json(self) -> bytes:
        """The payload bytes."""
        return self.model_dump_json().encode()


class Part(BaseModel):
    """A value nested inside a message: frozen like the message that carries it."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)
