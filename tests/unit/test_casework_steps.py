"""Every form of the staff application asks only for what its API's request takes, at the
path the API reads it from, with the API's own choices: a form cannot drift from its API."""

from __future__ import annotations

from typing import Any, cast

import pytest
from fastapi import FastAPI

from services.casework import steps
from services.casework.fields import Kind, every_field
from services.disclosure.api import create_app as disclosure_app
from services.intake.api import create_app as intake_app
from services.multiagency.api import create_app as multiagency_app
from services.ops.api import create_dashboard
from services.runtime.clock import SystemClock
from services.runtime.service import HttpContext
from services.runtime.settings import Settings
from services.runtime.unit_of_work import Database

FORCE = "kent"


def _apis() -> dict[str, dict[str, Any]]:
    context = HttpContext(FORCE, cast("Database", None), SystemClock())
    apps: dict[str, FastAPI] = {
        "intake": intake_app(context),
        "multiagency": multiagency_app(context),
        "disclosure": disclosure_app(context),
        "ops": create_dashboard(
            force=FORCE,
            database=cast("Database", None),
            clock=SystemClock(),
            settings=Settings(tenant=FORCE),
            issuer=None,
        ),
    }
    return {name: app.openapi() for name, app in apps.items()}


APIS = _apis()
QUESTIONS = {"records": "What do the records hold?", "contact": "What contact is there?"}
ALL = [*steps.STEPS.values(), steps.sign_off(QUESTIONS)]


def _body_schema(step: steps.Step) -> tuple[dict[str, Any], dict[str, Any]]:
    document = APIS[step.service]
    base = (
        "/forces/{force}/cases/{case_reference}"
        if step.service == "ops"
        else "/cases/{case_reference}"
    )
    operation = document["paths"][base + step.path][step.method.lower()]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return document, schema


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def _at(document: dict[str, Any], schema: dict[str, Any], path: list[str]) -> dict[str, Any]:
    here = _resolve(document, schema)
    for part in path:
        if part.isdigit():
            assert here.get("type") == "array", f"{part} indexes no list"
            here = _resolve(document, here.get("items") or here.get("prefixItems", [{}])[0])
        elif "properties" in here:
            assert part in here["properties"], f"no field {part!r}"
            here = _resolve(document, here["properties"][part])
        else:  # a mapping: Appendix D's answers by question
            assert here.get("type") == "object", f"no field {part!r}"
            here = _resolve(document, here.get("additionalProperties") or {})
    return here


@pytest.mark.parametrize("step", ALL, ids=lambda step: step.key)
def test_every_field_of_a_form_is_a_field_of_its_request(step: steps.Step) -> None:
    document, schema = _body_schema(step)
    for field in every_field(step.sections):
        target = _at(document, schema, field.name.split("."))
        choices = {value for value, _ in field.options}
        if field.kind is Kind.CHOICE:
            assert set(target.get("enum", [])) == choices, field.name
        if field.kind is Kind.MANY:
            items = _resolve(document, target["items"])
            assert set(items.get("enum", [])) == choices, field.name


@pytest.mark.parametrize("step", ALL, ids=lambda step: step.key)
def test_every_required_field_of_a_request_is_asked_for(step: steps.Step) -> None:
    document, schema = _body_schema(step)
    asked = {field.name.split(".")[0] for field in every_field(step.sections)}
    required = set(_resolve(document, schema).get("required", []))
    assert required <= asked, f"{step.key}: not asked for {sorted(required - asked)}"
