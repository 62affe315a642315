"""The base of every message model."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

TRIMMED = "text is trimmed of surrounding white space before its length is checked"
"""A rule of every message: the published lengths apply to the text as trimmed."""


def _publish_rules(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """List a model's rules across fields, which JSON Schema cannot say, as `x-rules`."""
    rules = list(getattr(model, "RULES", ()))
    if issubclass(model, Message):
        rules.insert(0, TRIMMED)
    if rules:
        schema["x-rules"] = rules


class Message(BaseModel):
    """A message of the scheme: frozen, JSON on the wire, named by its `ce_type`."""

    # Unknown fields are ignored, not refused: within v1 a producer may add optional
    # fields and older consumers must keep working (architecture §3).
    model_config = ConfigDict(
        frozen=True, extra="ignore", str_strip_whitespace=True, json_schema_extra=_publish_rules
    )

    TYPE: ClassVar[str]
    """The stable `ce_type` of this message, ending in `.v1`."""

    ADDRESSED_TO: ClassVar[str | None] = None
    """On an inbox: the field naming the tenant the message is for, which must be the reader."""

    RULES: ClassVar[tuple[str, ...]] = ()
    """The rules across fields that JSON Schema cannot say, published as `x-rules` (with
    `TRIMMED`): a refusal for any of them gives the rule, word for word, as its reason."""

    def to_json(self) -> bytes:
        """The payload bytes."""
        return self.model_dump_json().encode()


class Part(BaseModel):
    """A value nested inside a message: frozen like the message that carries it."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", str_strip_whitespace=True, json_schema_extra=_publish_rules
    )

    RULES: ClassVar[tuple[str, ...]] = ()
    """As a message's: the rules across this part's fields, published as `x-rules`."""
