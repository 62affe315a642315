"""Staff find a force's cases by a party's name as the checks match names (5.2.5)."""

from __future__ import annotations

from services.intake.search import Found, parties_of, search

RECORDED = {
    "applicant": {
        "name": {"forenames": ["Sarah"], "surname": "Jones"},
        "date_of_birth": {"year": 1990, "month": 5, "day": 21},
    },
    "subject": {
        "names": [{"forenames": ["William"], "surname": "Taylor"}],
        "aliases": [{"forenames": ["Marc"], "surname": None}],
        "date_of_birth": {"year": 1981},
    },
    "children": [{"name": {"forenames": ["Amy"], "surname": "Jones"}}],
}
PARTIES = list(parties_of("kent-2026-000001", RECORDED))


def found(name: str, year: int | None = None) -> list[tuple[str, Found]]:
    return [(hit.party.role, hit.found) for hit in search(PARTIES, name=name, year_of_birth=year)]


def test_each_party_is_found_by_their_recorded_name() -> None:
    assert found("Sarah Jones") == [("applicant", Found.EXACT)]
    assert found("amy  JONES") == [("child", Found.EXACT)]
    assert sorted(found("Jones")) == [("applicant", Found.EXACT), ("child", Found.EXACT)]


def test_short_forms_parts_of_names_sounds_and_aliases_find_the_subject() -> None:
    assert found("Bill Taylor") == [("subject", Found.SHORT_FORM)]
    assert found("Tay") == [("subject", Found.BEGINS)]
    assert found("Teylor") == [("subject", Found.SOUNDS_LIKE)]
    assert found("Marc") == [("subject", Found.EXACT)]


def test_a_year_of_birth_narrows_the_search_but_an_unknown_one_does_not_exclude() -> None:
    assert found("Taylor", 1981) == [("subject", Found.EXACT)]
    assert found("Taylor", 1975) == []
    assert found("Amy", 2019) == [("child", Found.EXACT)]  # her year is not recorded


def test_every_word_must_be_found_in_one_name() -> None:
    assert found("Sarah Taylor") == []
    assert found("") == []
    assert found("Zebedee") == []
