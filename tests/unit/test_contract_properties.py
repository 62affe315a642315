"""The published contracts tell the truth: every message their JSON Schema allows is either
accepted, or refused for a rule the same schema lists (`x-rules`), word for word.

The messages are generated from the checked-in schemas in `schemas/generated/json/` alone,
as an integrator's would be (hypothesis-jsonschema), never from our models."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import ValidationError

from schemas.base import Message
from schemas.registry import MESSAGES

PUBLISHED = Path(__file__).resolve().parents[2] / "schemas" / "generated" / "json"
# Formats JSON Schema names that the generator does not draw by itself.
FORMATS = {"uuid": st.uuids().map(str)}
TRIMMED_LENGTH = {"string_too_short", "string_too_long"}


def published(message: type[Message]) -> dict[str, Any]:
    """The checked-in schema of a message; its `$id` names it, its `$ref`s are all local."""
    schema: dict[str, Any] = json.loads((PUBLISHED / f"{message.TYPE}.json").read_text())
    schema.pop("$id", None)
    return schema


def listed_rules(schema: object) -> Iterator[str]:
    """Every rule a schema lists under `x-rules`, at any depth."""
    if isinstance(schema, dict):
        yield from schema.get("x-rules", ())
        for value in schema.values():
            yield from listed_rules(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from listed_rules(value)


def at(payload: Any, location: tuple[int | str, ...]) -> Any:
    for step in location:
        payload = payload[step]
    return payload


def undocumented(refused: ValidationError, payload: dict[str, Any], rules: set[str]) -> list[str]:
    """The reasons of a refusal that the published schema does not give."""
    unexplained = []
    errors = refused.errors()
    inside = {error["loc"][:depth] for error in errors for depth in range(len(error["loc"]))}
    for error in errors:
        if error["type"] == "too_short" and error["loc"] in inside:
            continue  # a list short only of the items refused within it, for their own reasons
        if error["type"] == "value_error":
            reason = str(error["ctx"]["error"])
            if reason in rules:
                continue
        elif error["type"] in TRIMMED_LENGTH and "text is trimmed" in " ".join(rules):
            given_text = at(payload, error["loc"])
            if isinstance(given_text, str) and given_text != given_text.strip():
                continue
        unexplained.append(f"{'.'.join(map(str, error['loc']))}: {error['msg']}")
    return unexplained


@pytest.mark.parametrize("message", MESSAGES, ids=lambda message: message.TYPE)
def test_what_the_published_schema_allows_is_accepted_or_refused_by_a_listed_rule(
    message: type[Message],
) -> None:
    schema = published(message)
    rules = set(listed_rules(schema))
    accepted: list[bool] = []

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(from_schema(copy.deepcopy(schema), custom_formats=FORMATS))  # it rewrites what it reads
    @example(published_example(schema))
    def either_way(payload: dict[str, Any]) -> None:
        refused = refusal(message, payload)
        unexplained = undocumented(refused, payload, rules) if refused else []
        assert not unexplained, f"{message.TYPE} refused for rules it does not list: {unexplained}"
        accepted.append(refused is None)

    either_way()
    # The schema's own example (always among those tried) is one it accepts.
    assert any(accepted), f"{message.TYPE} accepted nothing, not even its published example"


def published_example(schema: dict[str, Any]) -> dict[str, Any]:
    """A message made of the examples the published schema gives for each of its fields."""
    return {
        name: field["examples"][0]
        for name, field in schema["properties"].items()
        if field.get("examples")
    }


def refusal(message: type[Message], payload: dict[str, Any]) -> ValidationError | None:
    """Why the message model refuses a payload, or None when it accepts it."""
    try:
        message.model_validate(payload)
    except ValidationError as refused:
        return refused
    return None
