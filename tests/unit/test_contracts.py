"""Every message: its documented example round-trips, and broken payloads are refused by name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas.base import Message
from schemas.examples import example, example_payload
from schemas.fields import CLASSIFICATION_KEY, Classification
from schemas.redaction import classification_of, redact, redact_payload
from schemas.registry import MESSAGES
from services.runtime.consumer import describe_validation_error

ids = [message.__name__ for message in MESSAGES]


def parts_of(
    model: type[BaseModel], seen: set[type[BaseModel]] | None = None
) -> set[type[BaseModel]]:
    """The model and every model nested in it."""
    seen = seen if seen is not None else set()
    if model in seen:
        return seen
    seen.add(model)
    for info in model.model_fields.values():
        for candidate in _types_in(info.annotation):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                parts_of(candidate, seen)
    return seen


def _types_in(annotation: Any) -> list[Any]:
    found = [annotation]
    for argument in getattr(annotation, "__args__", ()):
        found.extend(_types_in(argument))
    return found


@pytest.mark.parametrize("message", MESSAGES, ids=ids)
def test_documented_example_round_trips(message: type[Message]) -> None:
    original = example(message)
    again = message.model_validate_json(original.to_json())
    assert again == original
    assert json.loads(again.to_json()) == json.loads(original.to_json())


@pytest.mark.parametrize("message", MESSAGES, ids=ids)
def test_every_required_field_is_refused_when_missing_and_named(message: type[Message]) -> None:
    payload = example_payload(message)
    required = [name for name, info in message.model_fields.items() if info.is_required()]
    assert required, f"{message.__name__} has no required field"
    for name in required:
        broken = {key: value for key, value in payload.items() if key != name}
        with pytest.raises(ValidationError) as caught:
            message.model_validate(broken)
        assert describe_validation_error(caught.value).startswith(f"{name}: Field required")


@pytest.mark.parametrize("message", MESSAGES, ids=ids)
def test_a_wrong_type_is_refused(message: type[Message]) -> None:
    payload = example_payload(message)
    name = next(name for name, info in message.model_fields.items() if info.is_required())
    with pytest.raises(ValidationError):
        message.model_validate({**payload, name: {"not": ["what", "was", "asked"]}})


@pytest.mark.parametrize("message", MESSAGES, ids=ids)
def test_every_field_is_classified(message: type[Message]) -> None:
    for model in parts_of(message):
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra
            assert isinstance(extra, dict), f"{model.__name__}.{name}"
            assert Classification(str(extra[CLASSIFICATION_KEY])), f"{model.__name__}.{name}"


def sensitive_strings(model: BaseModel) -> list[str]:
    """Every string value under a personal or criminal-offence field, however deep."""
    found: list[str] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if classification_of(info) is not Classification.NONE:
            found.extend(_strings(value))
        elif isinstance(value, BaseModel):
            found.extend(sensitive_strings(value))
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, BaseModel):
                    found.extend(sensitive_strings(item))
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, BaseModel):
        return [text for item in value.model_dump(mode="json").values() for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, tuple | list):
        return [text for item in value for text in _strings(item)]
    return []


@pytest.mark.parametrize("message", MESSAGES, ids=ids)
def test_redaction_hides_every_personal_and_offence_value(message: type[Message]) -> None:
    original = example(message)
    secrets = [text for text in sensitive_strings(original) if len(text) > 3]
    shown = json.dumps(redact(original))
    for secret in secrets:
        assert secret not in shown, f"{message.__name__} shows {secret!r}"
    assert redact_payload(message.TYPE, original.to_json()) == redact(original)


def test_redaction_keeps_what_operators_need() -> None:
    from schemas.intake import EnquiryRegisteredV1  # noqa: PLC0415

    shown = redact(example(EnquiryRegisteredV1))
    assert shown["case_reference"] == "warwickshire-2026-000042"
    assert shown["channel"] == "station"
    assert shown["contact"] == "[personal]"
    assert shown["consent"] == {
        "to_share_with_agencies": True,
        "told_sharing_may_happen_without_consent": True,
    }


def test_an_unreadable_payload_is_shown_only_by_its_size() -> None:
    assert redact_payload("csods.intake.enquiry-registered.v1", b"Jane Doe") == (
        "[invalid csods.intake.enquiry-registered.v1: 8 bytes]"
    )
    assert redact_payload("csods.x.v9", b"Jane") == "[unknown type: 4 bytes]"
