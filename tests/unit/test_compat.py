"""The compatibility gate: a breaking change is refused, an additive one accepted."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import AwareDatetime

from schemas.artefacts import check, json_schema, released_contracts, write
from schemas.base import Message
from schemas.compat import breaking_changes
from schemas.fields import field
from schemas.intake import Channel, EnquiryRegisteredV1
from schemas.types import CaseReference


class ReferralV1(Message):
    """A message as published."""

    TYPE: ClassVar[str] = "csods.test.referral.v1"
    case_reference: CaseReference
    channel: Channel = field("How.", "station")
    received_at: AwareDatetime = field("When.", "2026-11-22T09:30:00+00:00")
    note: str | None = field("A note.", None, default=None)


class ReferralAdditiveV1(ReferralV1):
    """The same with a new optional field."""

    urgent: bool = field("Whether urgent.", False, default=False)


class ReferralRequiredV1(ReferralV1):
    """The same with a new required field."""

    urgent: bool = field("Whether urgent.", False)


def schema(message: type[Message]) -> dict[str, Any]:
    return json_schema(message)


def test_an_additive_optional_field_is_accepted() -> None:
    assert breaking_changes(schema(ReferralV1), schema(ReferralAdditiveV1)) == []


def test_a_new_required_field_is_refused() -> None:
    assert breaking_changes(schema(ReferralV1), schema(ReferralRequiredV1)) == [
        "payload.urgent: new required field"
    ]


def test_a_removed_field_is_refused() -> None:
    old = schema(ReferralV1)
    new = copy.deepcopy(old)
    del new["properties"]["note"]
    assert breaking_changes(old, new) == ["payload.note: field removed"]


def test_a_changed_type_is_refused() -> None:
    old = schema(ReferralV1)
    new = copy.deepcopy(old)
    new["properties"]["received_at"] = {"type": "integer"}
    assert breaking_changes(old, new) == [
        "payload.received_at: type changed from string to integer"
    ]


def test_a_narrowed_enum_is_refused_and_a_widened_one_accepted() -> None:
    old = schema(ReferralV1)
    narrowed = copy.deepcopy(old)
    narrowed["$defs"]["Channel"]["enum"].remove("street")
    assert breaking_changes(old, narrowed) == ["payload.channel: enum narrowed, street removed"]
    widened = copy.deepcopy(old)
    widened["$defs"]["Channel"]["enum"].append("carrier-pigeon")
    assert breaking_changes(old, widened) == []


def test_an_optional_field_made_required_is_refused() -> None:
    old = schema(EnquiryRegisteredV1)
    new = copy.deepcopy(old)
    new["required"].append("subject")
    assert breaking_changes(old, new) == ["payload.subject: became required"]


def test_nested_changes_are_found_through_references() -> None:
    old = schema(EnquiryRegisteredV1)
    new = copy.deepcopy(old)
    del new["$defs"]["ContactArrangements"]["properties"]["when"]
    assert "payload.contact.when: field removed" in breaking_changes(old, new)


def test_the_gate_refuses_to_write_a_breaking_change_and_check_names_it(tmp_path: Path) -> None:
    write(tmp_path)
    assert check(tmp_path) == []
    published = tmp_path / "json" / f"{EnquiryRegisteredV1.TYPE}.json"
    old = json.loads(published.read_text())
    old["properties"]["retired_field"] = {"type": "string"}  # as if the code dropped it
    published.write_text(json.dumps(old))
    problems = check(tmp_path)
    assert f"{EnquiryRegisteredV1.TYPE}: payload.retired_field: field removed" in problems
    with pytest.raises(ValueError, match="breaking changes"):
        write(tmp_path)


def test_the_checked_in_contracts_are_current() -> None:
    assert check() == []


def _with_note(**bounds: Any) -> dict[str, Any]:
    """The published referral, its note's text schema given `bounds`."""
    schema = copy.deepcopy(json_schema(ReferralV1))
    note = schema["properties"]["note"]
    text = next(member for member in note["anyOf"] if member.get("type") == "string")
    text.update(bounds)
    return schema


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ({"maxLength": 200}, {"maxLength": 100}, "maxLength narrowed from 200 to 100"),
        ({}, {"maxLength": 100}, "maxLength narrowed from none to 100"),
        ({"minLength": 1}, {"minLength": 3}, "minLength narrowed from 1 to 3"),
        ({}, {"pattern": "^[A-Z]+$"}, "pattern added or changed"),
        ({"pattern": "^.+$"}, {"pattern": "^[A-Z]+$"}, "pattern added or changed"),
        ({}, {"format": "email"}, "format added or changed"),
    ],
)
def test_a_tightened_constraint_is_refused(
    old: dict[str, Any], new: dict[str, Any], problem: str
) -> None:
    found = breaking_changes(_with_note(**old), _with_note(**new))
    assert found == [f"payload.note: {problem}"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"maxLength": 100}, {"maxLength": 200}),
        ({"maxLength": 100}, {}),
        ({"minLength": 3}, {"minLength": 1}),
        ({"pattern": "^[A-Z]+$"}, {}),
    ],
)
def test_a_loosened_constraint_is_accepted(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert breaking_changes(_with_note(**old), _with_note(**new)) == []


def test_closing_a_message_to_extra_fields_is_refused() -> None:
    old = copy.deepcopy(json_schema(ReferralV1))
    old.pop("additionalProperties", None)
    new = {**old, "additionalProperties": False}
    assert breaking_changes(old, new) == ["payload: additional properties no longer allowed"]
    assert breaking_changes(new, old) == []


def test_a_break_written_with_allow_breaking_is_refused_until_released(tmp_path: Path) -> None:
    write(tmp_path)
    name = f"json/{EnquiryRegisteredV1.TYPE}.json"
    released = json.loads((tmp_path / name).read_text())
    released["properties"]["retired_field"] = {"type": "string"}  # the code has dropped it
    (tmp_path / name).write_text(json.dumps(released))
    write(tmp_path, allow_breaking=True)  # the working tree now agrees with the code...
    assert check(tmp_path, released={}) == []
    problems = check(tmp_path, released={name: json.dumps(released)})
    # ...but the released contract still has the field: the gate refuses.
    assert problems == [
        f"{EnquiryRegisteredV1.TYPE}: payload.retired_field: field removed"
        " (against the released contracts)"
    ]


def test_the_released_contracts_are_read_from_the_commit_named() -> None:
    released = released_contracts()
    assert released, "schemas/RELEASED names a commit with contracts"
    assert f"json/{EnquiryRegisteredV1.TYPE}.json" in released
    assert all(json.loads(text)["x-ce-type"] for text in released.values())
