"""What an officer types becomes the body the API takes, and its refusals go beside the
field they name."""

from __future__ import annotations

from starlette.datastructures import FormData

from services.casework import steps
from services.casework.fields import flattened, placed, read, shown


def test_a_filled_form_becomes_the_nested_body_with_types_and_lists() -> None:
    form = FormData(
        [
            ("seen_at", "2026-07-01T14:30"),
            ("applicant.name.forenames", "Sarah  Anne"),
            ("applicant.date_of_birth.year", "1990"),
            ("applicant.address.lines", "14 Priory Road\n\nFlat 2"),
            ("identity.verified", "yes"),
            ("identity.evidence", "passport"),
            ("identity.evidence", "utility-bill"),
            ("children.0.name.surname", "Jones"),
            ("warnings_acknowledged", "no"),
        ]
    )
    got = read(steps.FACE_TO_FACE.sections, form)
    assert got.errors == {}
    body = got.body
    assert body["seen_at"] == "2026-07-01T14:30:00+01:00"  # British Summer Time
    assert body["applicant"]["name"] == {"forenames": ["Sarah", "Anne"]}
    assert body["applicant"]["date_of_birth"] == {"year": 1990}
    assert body["applicant"]["address"] == {"lines": ["14 Priory Road", "Flat 2"]}
    assert body["identity"] == {"verified": True, "evidence": ["passport", "utility-bill"]}
    # The first child, with its fixed party id; the empty second and third are dropped.
    assert body["children"] == [{"party": "child-1", "name": {"surname": "Jones"}}]
    assert body["warnings_acknowledged"] is False
    assert "contact" not in body


def test_a_value_of_the_wrong_shape_is_refused_before_any_service_is_asked() -> None:
    got = read(
        steps.FACE_TO_FACE.sections,
        FormData([("applicant.date_of_birth.year", "nineteen"), ("seen_at", "tuesday")]),
    )
    assert set(got.errors) == {"applicant.date_of_birth.year", "seen_at"}
    assert "whole number" in got.errors["applicant.date_of_birth.year"]


def test_fixed_values_are_sent_and_unticked_confirmations_are_not() -> None:
    assert read(steps.DELIVERY.sections, FormData([])).body == {
        "in_person": True,
        "written_material_left": False,
    }
    told = read(steps.SUBJECT_TOLD.sections, FormData([("in_person", "yes")])).body
    assert told == {"in_person": True}


def test_refusals_are_placed_beside_the_field_or_its_nearest_part() -> None:
    sections = steps.DECISION.sections
    errors = placed(
        sections,
        [
            ("extent", "Field required (missing)"),
            ("recipient.name", "a name needs a forename or a surname"),
            ("tests", "a disclosure meets all three stages of the test (5.6.8-5.6.10)"),
            ("case_reference", "no such case"),
        ],
    )
    assert errors["extent"] == "Enter or choose: extent"
    assert errors["recipient.name.forenames"] == "A name needs a forename or a surname"
    assert "5.6.8" in errors["tests.0.met"]
    assert errors["form"] == "No such case"


def test_a_record_fills_the_form_it_came_from() -> None:
    recorded = {
        "applicant": {"name": {"forenames": ["Sarah"], "surname": "Jones"}},
        "children": [{"name": {"surname": "Jones"}, "relationship_verified": True}],
        "contact": {"how": "email", "where": "a@example.org"},
    }
    values = shown(flattened(recorded), steps.FACE_TO_FACE.sections)
    assert values["applicant.name.forenames"] == "Sarah"
    assert values["children.0.name.surname"] == "Jones"
    assert values["children.0.relationship_verified"] == "yes"
    assert values["contact.how"] == "email"
