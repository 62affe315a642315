"""A rejected payload's reason names the field and the rule, never the value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.intake import RegisterEnquiryV1
from services.runtime.consumer import describe_validation_error


def reason_for(payload: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        RegisterEnquiryV1.model_validate_json(payload)
    return describe_validation_error(caught.value)


def test_missing_field_is_named() -> None:
    reason = reason_for(
        b'{"submission_id": "portal-12345678", "force": "warwickshire",'
        b' "received_at": "2026-11-22T09:30:00+00:00"}'
    )
    assert reason == "channel: Field required (missing)"


def test_wrong_value_names_field_and_rule_but_not_the_value() -> None:
    reason = reason_for(
        b'{"submission_id": "portal-12345678", "force": "warwickshire", "channel": "pigeon",'
        b' "received_at": "2026-11-22T09:30:00"}'
    )
    assert "channel:" in reason
    assert "(enum)" in reason
    assert "received_at:" in reason
    assert "timezone" in reason
    assert "pigeon" not in reason


def test_bytes_that_are_not_json_are_named_as_such() -> None:
    assert "json_invalid" in reason_for(b"\x00\x01 not json")
