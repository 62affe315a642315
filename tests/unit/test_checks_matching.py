"""The matching rules: partial or false details (5.2.5), never a silent yes or no."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from schemas.checks import MatchOutcome
from schemas.parties import Address, PartialDate, PersonName, SubjectParticulars
from services.checks.evidence import dob_evidence
from services.checks.matching import MATCH, decide, missing_detail, person_from, score
from services.checks.persons import Dob, Name, Nominal, Person, Place
from services.runtime.names import diminutive_of, normalise, sounds_alike

MARK = Nominal(
    "PNC/09/0000042K",
    Person(
        names=(Name(("mark", "james"), "taylor"), Name(("marcus",), "tyler")),
        dob=Dob(1981, 3, 14),
        places=(
            Place("3 mill lane", "rugby", "CV212AB"),
            Place("14 station road", "middlesbrough", "TS15QT"),
        ),
        description="Male, tall, stocky build, shaved hair, tattoo of a swallow on the left arm",
    ),
)
NAMESAKE = Nominal("PNC/12/0000777B", Person((Name(("mark",), "taylor"),), Dob(1975, 6, 2)))


def asked(
    forenames: str = "Mark",
    surname: str | None = "Taylor",
    dob: tuple[int | None, int | None, int | None] | None = (1981, 3, 14),
    **more: Any,
) -> SubjectParticulars:
    names = (PersonName(forenames=tuple(forenames.split()), surname=surname),)
    date = PartialDate(year=dob[0], month=dob[1], day=dob[2]) if dob else None
    return SubjectParticulars(names=names, date_of_birth=date, **more)


def outcome(query: SubjectParticulars, *held: Nominal) -> MatchOutcome:
    return decide(person_from(query), held or (MARK, NAMESAKE)).outcome


def reasons(query: SubjectParticulars, nominal: Nominal = MARK) -> tuple[str, ...]:
    return score(person_from(query), nominal).reasons


def test_exact_name_and_date_of_birth_is_a_match() -> None:
    decision = decide(person_from(asked()), (MARK, NAMESAKE))
    assert decision.outcome is MatchOutcome.MATCH
    assert decision.best is not None
    assert decision.best.nominal is MARK
    assert decision.confidence >= MATCH


def test_a_surname_that_sounds_the_same_still_matches() -> None:
    assert "surname-phonetic" in reasons(asked(surname="Tailor"))
    assert outcome(asked(surname="Tailor")) is MatchOutcome.MATCH


def test_a_typo_in_the_surname_still_matches_by_edit_distance() -> None:
    assert "surname-edit-distance" in reasons(asked(surname="Tazlor"))
    assert outcome(asked(surname="Tazlor")) is MatchOutcome.MATCH


def test_forename_and_surname_transposed_still_match() -> None:
    assert "names-transposed" in reasons(asked(forenames="Taylor", surname="Mark"))
    assert outcome(asked(forenames="Taylor", surname="Mark")) is MatchOutcome.MATCH


def test_an_alias_on_the_record_matches() -> None:
    assert "alias" in reasons(asked(forenames="Marcus", surname="Tyler"))
    assert outcome(asked(forenames="Marcus", surname="Tyler")) is MatchOutcome.MATCH


def test_an_alias_given_by_the_applicant_matches() -> None:
    query = asked(forenames="Marc", surname="Smith").model_copy(
        update={"aliases": (PersonName(forenames=("Mark",), surname="Taylor"),)}
    )
    assert outcome(query) is MatchOutcome.MATCH


def test_a_short_form_of_the_forename_matches() -> None:
    bill = Nominal("PNC/1", Person((Name(("william",), "jones"),), Dob(1970, 1, 5)))
    query = asked(forenames="Bill", surname="Jones", dob=(1970, 1, 5))
    assert "forename-diminutive" in reasons(query, bill)
    assert outcome(query, bill) is MatchOutcome.MATCH


def test_a_middle_name_used_as_the_forename_matches() -> None:
    assert "forename-other-position" in reasons(asked(forenames="James"))


def test_day_and_month_swapped_still_matches() -> None:
    query = asked(dob=(1981, 12, 3))  # the record says 3 December; the applicant, 12 March
    held = Nominal("PNC/3", Person((Name(("mark",), "taylor"),), Dob(1981, 3, 12)))
    assert "dob-day-month-swapped" in reasons(query, held)
    assert outcome(query, held) is MatchOutcome.MATCH


def test_a_year_typed_one_out_with_the_same_day_and_month_is_evidence_for() -> None:
    evidence = dob_evidence(Dob(1982, 3, 14), Dob(1981, 3, 14))
    assert evidence is not None
    assert evidence.rule == "dob-year-near"
    assert evidence.weight > 0


def test_year_of_birth_only_is_a_possible_match_not_a_match() -> None:
    query = asked(dob=(1981, None, None))
    assert "dob-year" in reasons(query)
    assert outcome(query, MARK) is MatchOutcome.POSSIBLE_MATCH


def test_year_of_birth_only_with_the_postcode_is_a_match() -> None:
    query = asked(
        dob=(1981, None, None), addresses=(Address(lines=("3 Mill Ln",), postcode="cv21 2ab"),)
    )
    assert "address-postcode" in reasons(query)
    assert outcome(query) is MatchOutcome.MATCH


def test_an_address_the_subject_moved_from_still_counts() -> None:
    query = asked(
        dob=(1981, None, None), addresses=(Address(lines=("14 Station Rd",), town="Middlesbrough"),)
    )
    found = reasons(query)
    assert "address-street" in found
    assert "address-previous" in found


def test_a_description_supports_a_partial_match() -> None:
    query = asked(dob=(1981, None, None), description="Tall, bald, tattoo on his left arm")
    assert "description-agrees" in reasons(query)
    assert (
        score(person_from(query), MARK).confidence
        > score(person_from(asked(dob=(1981, None, None))), MARK).confidence
    )


def test_two_close_candidates_need_a_researcher() -> None:
    twin = Nominal("PNC/99/0000001A", Person((Name(("mark",), "taylor"),), Dob(1981, 3, 14)))
    decision = decide(person_from(asked()), (MARK, twin))
    assert decision.outcome is MatchOutcome.POSSIBLE_MATCH
    assert {c.nominal.reference for c in decision.candidates} == {MARK.reference, twin.reference}


def test_a_name_alone_is_never_a_match() -> None:
    assert outcome(asked(dob=None), MARK) is MatchOutcome.POSSIBLE_MATCH


def test_a_common_name_with_several_holders_is_a_possible_match_listing_them() -> None:
    decision = decide(person_from(asked(dob=None)), (MARK, NAMESAKE))
    assert decision.outcome is MatchOutcome.POSSIBLE_MATCH
    assert len(decision.candidates) == 2


def test_a_different_date_of_birth_is_no_trace() -> None:
    assert outcome(asked(dob=(1990, 7, 1))) is MatchOutcome.NO_TRACE


def test_nobody_like_the_subject_is_no_trace() -> None:
    assert outcome(asked(forenames="Zebedee", surname="Quuxworth")) is MatchOutcome.NO_TRACE


def test_no_name_is_insufficient_detail() -> None:
    query = SubjectParticulars(description="Tall, shaved head")
    decision = decide(person_from(query), (MARK,))
    assert decision.outcome is MatchOutcome.INSUFFICIENT_DETAIL
    assert decision.missing == ("a name: a surname or a forename",)


def test_a_surname_alone_is_insufficient_detail() -> None:
    assert missing_detail(person_from(asked(forenames="", dob=None))) == (
        "a forename, a date of birth or an address",
    )


def test_a_forename_alone_needs_a_surname_or_a_date_of_birth() -> None:
    assert missing_detail(person_from(asked(surname=None, dob=None))) == (
        "a surname or a date of birth",
    )
    assert missing_detail(person_from(asked(surname=None))) == ()


def test_names_are_compared_without_case_accents_or_punctuation() -> None:
    assert normalise("O'Brien-Müller") == "obrienmuller"
    assert sounds_alike("smith", "smyth")
    assert diminutive_of("william", "bill")
    assert not diminutive_of("mark", "mike")


names = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=12)
dates = st.tuples(st.integers(1930, 2010), st.integers(1, 12), st.integers(1, 28))


@given(forename=names, surname=names, dob=dates)
def test_a_record_asked_about_exactly_is_always_matched_when_alone(
    forename: str, surname: str, dob: tuple[int, int, int]
) -> None:
    held = Nominal("PNC/0", Person((Name((forename,), surname),), Dob(*dob)))
    decision = decide(Person((Name((forename,), surname),), Dob(*dob)), (held,))
    assert decision.outcome is MatchOutcome.MATCH


@given(
    forename=names,
    surname=names,
    dob=dates,
    others=st.lists(st.tuples(names, names, dates), max_size=6),
)
def test_the_order_of_candidates_never_changes_the_decision(
    forename: str,
    surname: str,
    dob: tuple[int, int, int],
    others: list[tuple[str, str, tuple[int, int, int]]],
) -> None:
    query = Person((Name((forename,), surname),), Dob(*dob))
    held = [
        Nominal(f"PNC/{i}", Person((Name((f,), s),), Dob(*d)))
        for i, (f, s, d) in enumerate([(forename, surname, dob), *others])
    ]
    forwards, backwards = decide(query, held), decide(query, list(reversed(held)))
    assert forwards.outcome is backwards.outcome
    assert [c.nominal.reference for c in forwards.candidates] == [
        c.nominal.reference for c in backwards.candidates
    ]
    assert all(0.0 <= c.confidence <= 1.0 for c in forwards.candidates)
