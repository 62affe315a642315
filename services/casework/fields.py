"""A form's fields, and how what a person typed becomes the JSON a service's API takes.

A field's name is the dotted path of the value in the request body (`applicant.name.surname`,
`children.0.relationship_to_applicant`), so a refusal that names a field in the body is shown
beside the field of the same name. Nothing here decides anything: every rule is the API's,
and its refusal is what the page shows (architecture §7).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/London")  # what a force's officers mean by "14:30"


class Kind(StrEnum):
    """How a field is shown and read."""

    TEXT = "text"
    TEXTAREA = "textarea"
    CHOICE = "choice"  # one of the options, as radios
    MANY = "many"  # any of the options, as checkboxes
    YES_NO = "yes-no"
    WHOLE_NUMBER = "whole-number"
    WORDS = "words"  # a list of words: forenames
    LINES = "lines"  # a list of lines: an address
    WHEN = "when"  # a local date and time
    CONFIRM = "confirm"  # a box that must be ticked: the body carries true
    FIXED = "fixed"  # not shown: the body always carries `value`


@dataclass(frozen=True)
class Field:
    """One question of a form."""

    name: str
    label: str
    kind: Kind = Kind.TEXT
    options: tuple[tuple[str, str], ...] = ()
    hint: str | None = None
    value: Any = None  # FIXED fields only
    width: int | None = None


@dataclass(frozen=True)
class Section:
    """A group of fields under a heading, as GOV.UK forms group them."""

    heading: str | None
    fields: tuple[Field, ...]


def options(values: type[Enum], **labels: str) -> tuple[tuple[str, str], ...]:
    """An enumeration's values as (value, label), labelled in words unless told otherwise."""
    return tuple(
        (str(item.value), labels.get(str(item.value).replace("-", "_"), words(str(item.value))))
        for item in values
    )


def words(value: str) -> str:
    """`child-sexual-offence-conviction` as "Child sexual offence conviction"."""
    text = value.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


YES_NO = (("yes", "Yes"), ("no", "No"))


@dataclass
class Read:
    """What a submitted form became: the body, and what could not even be read."""

    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def every_field(sections: Iterable[Section]) -> list[Field]:
    return [each for section in sections for each in section.fields]


def read(sections: Sequence[Section], form: Mapping[str, Any]) -> Read:
    """The API body from the submitted form; a value of the wrong shape is an error here."""
    got = Read()
    fixed: set[str] = set()
    for each in every_field(sections):
        raw = form.get(each.name)
        try:
            value = _value(each, raw, form)
        except ValueError as exc:
            got.errors[each.name] = str(exc)
            continue
        if value is not None:
            _put(got.body, each.name.split("."), value)
            if each.kind is Kind.FIXED:
                fixed.add(each.name)
    got.body = _pruned(got.body, fixed, "")
    return got


def _value(each: Field, raw: Any, form: Mapping[str, Any]) -> Any:
    text = raw.strip() if isinstance(raw, str) else ""
    match each.kind:
        case Kind.FIXED:
            return each.value
        case Kind.MANY:
            getter = getattr(form, "getlist", None)
            chosen = list(getter(each.name)) if getter else list(raw or [])
            return chosen or None
        case Kind.CONFIRM:
            return True if text else None
        case Kind.YES_NO:
            return {"yes": True, "no": False}.get(text)
    return _typed(each, text)


def _typed(each: Field, text: str) -> Any:
    match each.kind:
        case Kind.WHOLE_NUMBER:
            if not text:
                return None
            if not text.isdigit():
                raise ValueError(f"{each.label} must be a whole number, like 2019")
            return int(text)
        case Kind.WORDS:
            return text.split() or None
        case Kind.LINES:
            return [line.strip() for line in text.splitlines() if line.strip()] or None
        case Kind.WHEN:
            return _when(each, text)
        case _:
            return text or None


def _when(each: Field, text: str) -> str | None:
    """A date and time as typed, in the force's local time unless it says otherwise."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{each.label} must be a date and time") from exc
    return (when if when.tzinfo else when.replace(tzinfo=LOCAL)).isoformat()


def _put(body: dict[str, Any], path: list[str], value: Any) -> None:
    here: Any = body
    for part, after in itertools.pairwise(path):
        key: Any = int(part) if part.isdigit() else part
        if isinstance(here, dict):
            here = here.setdefault(key, [] if after.isdigit() else {})
        else:
            while len(here) <= key:
                here.append(None)
            if here[key] is None:
                here[key] = [] if after.isdigit() else {}
            here = here[key]
    last = path[-1]
    if isinstance(here, list):
        index = int(last)
        while len(here) <= index:
            here.append(None)
        here[index] = value
    else:
        here[last] = value


def _pruned(value: Any, fixed: set[str], path: str) -> Any:
    """Drop list entries left empty, or holding only fixed values (a child not filled in)."""
    if isinstance(value, dict):
        kept = {key: _pruned(item, fixed, f"{path}{key}.") for key, item in value.items()}
        return {key: item for key, item in kept.items() if item is not None}
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            if item is None or _only_fixed(item, fixed, f"{path}{index}."):
                continue
            items.append(_pruned(item, fixed, f"{path}{index}."))
        return items
    return value


def _only_fixed(value: Any, fixed: set[str], path: str) -> bool:
    if isinstance(value, dict):
        return all(_only_fixed(item, fixed, f"{path}{key}.") for key, item in value.items())
    if isinstance(value, list):
        return all(_only_fixed(item, fixed, f"{path}{index}.") for index, item in enumerate(value))
    return path.rstrip(".") in fixed


def flattened(value: Any, path: str = "") -> dict[str, Any]:
    """A recorded JSON value as form values by dotted name: how a form is filled in from
    what is already on record."""
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(flattened(item, f"{path}{key}."))
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for index, item in enumerate(value):
            found.update(flattened(item, f"{path}{index}."))
    elif isinstance(value, list):
        found[path.rstrip(".")] = value
    elif isinstance(value, bool):
        found[path.rstrip(".")] = "yes" if value else "no"
    elif value is not None:
        found[path.rstrip(".")] = str(value)
    return found


def shown(values: Mapping[str, Any], sections: Sequence[Section]) -> dict[str, Any]:
    """Values as the form's parts show them: words joined, lines one per line."""
    out = dict(values)
    for each in every_field(sections):
        value = out.get(each.name)
        if isinstance(value, list) and each.kind is Kind.WORDS:
            out[each.name] = " ".join(str(item) for item in value)
        elif isinstance(value, list) and each.kind is Kind.LINES:
            out[each.name] = "\n".join(str(item) for item in value)
        elif isinstance(value, str) and each.kind is Kind.WHEN and "T" in value:
            out[each.name] = (
                datetime.fromisoformat(value).astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")
            )
    return out


def submitted(form: Mapping[str, Any], sections: Sequence[Section]) -> dict[str, Any]:
    """The form as it was filled in, to show again beside its errors."""
    values: dict[str, Any] = {}
    getter = getattr(form, "getlist", None)
    for each in every_field(sections):
        if each.kind is Kind.MANY:
            values[each.name] = list(getter(each.name)) if getter else []
        elif each.name in form:
            values[each.name] = form[each.name]
    return values


def placed(sections: Sequence[Section], problems: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each refusal beside the field it names, or the nearest field of that part of the
    body; one about no field of the form goes at the top, under `form`."""
    names = [each.name for each in every_field(sections) if each.kind is not Kind.FIXED]
    labels = {each.name: each.label for each in every_field(sections)}
    placed_errors: dict[str, str] = {}
    for named, rule in problems:
        where = named.removeprefix("body.")
        target = (
            where
            if where in names
            else next((name for name in names if name.startswith(f"{where}.")), None)
            or max((name for name in names if where.startswith(f"{name}.")), key=len, default="")
            or "form"
        )
        message = _in_words(rule, labels.get(target, ""))
        if target == "form" and where not in ("form", "case_reference", "-"):
            message = f"{words(where)}: {rule}"
        placed_errors.setdefault(target, message)
    return placed_errors


def _in_words(rule: str, label: str) -> str:
    """A refusal as a person would say it, keeping the rule and its paragraph."""
    if rule.startswith("Field required") and label:
        return f"Enter or choose: {label.lower()}"
    if "Input should be" in rule and label:
        return f"{label}: {rule.split(' (', maxsplit=1)[0].replace('Input should be', 'must be')}"
    return rule[:1].upper() + rule[1:]
