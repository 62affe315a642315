"""A complete example of every message, composed from its fields' documented examples."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.base import Message


def example_payload(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON-ready example of a model: each field's first documented example."""
    payload: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.examples:
            raise ValueError(f"{model.__name__}.{name} has no example")
        payload[name] = info.examples[0]
    return payload


def example(model: type[Message]) -> Message:
    """The documented example of a message, validated."""
    return model.model_validate(example_payload(model))
