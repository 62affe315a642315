"""Which systems each stage asks, where queries go, and how a silent system is treated."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from schemas.checks import CheckResult, MatchOutcome, System
from schemas.stages import Stage
from services.checks.domain import (
    Status,
    closed_result,
    closing_status,
    first_status,
    retry_delay,
    system_tenant,
    systems_for,
    visor_after_pnc,
)
from services.checks.stubs.behaviour import Behaviour, StubSettings, SystemUnavailable
from services.checks.stubs.seed.people import person
from services.checks.stubs.seed.places import DEFAULT_FORCES

S = System


def test_stage_one_asks_pnc_visor_and_local_intelligence() -> None:
    assert systems_for(Stage.INITIAL_CONTACT, ()) == (S.PNC, S.VISOR, S.LOCAL_INTELLIGENCE)


def test_stage_two_adds_ini_which_must_be_completed() -> None:
    assert systems_for(Stage.FACE_TO_FACE, (S.PNC,)) == (
        S.PNC,
        S.VISOR,
        S.LOCAL_INTELLIGENCE,
        S.INI,
    )


def test_stage_four_asks_all_and_foreign_and_ceop_only_when_asked() -> None:
    assert systems_for(Stage.FULL_RISK_ASSESSMENT, ()) == (
        S.PNC,
        S.VISOR,
        S.LOCAL_INTELLIGENCE,
        S.INI,
    )
    asked = systems_for(Stage.FULL_RISK_ASSESSMENT, (S.CEOP, S.FOREIGN))
    assert asked[-2:] == (S.CEOP, S.FOREIGN)


def test_a_request_never_asks_fewer_systems_than_the_stage_minimum() -> None:
    assert set(systems_for(Stage.INITIAL_CONTACT, (S.PNC,))) >= {S.PNC, S.LOCAL_INTELLIGENCE}


def test_visor_at_stages_one_and_two_waits_for_a_pnc_marker() -> None:
    assert first_status(Stage.INITIAL_CONTACT, S.VISOR) is Status.AWAITING_MARKER
    assert first_status(Stage.FACE_TO_FACE, S.VISOR) is Status.AWAITING_MARKER
    assert first_status(Stage.FULL_RISK_ASSESSMENT, S.VISOR) is Status.AWAITING_PARTICULARS


@pytest.mark.parametrize(
    ("outcome", "marker", "then"),
    [
        (MatchOutcome.MATCH, True, Status.AWAITING_PARTICULARS),
        (MatchOutcome.MATCH, False, Status.NOT_REQUIRED),
        (MatchOutcome.POSSIBLE_MATCH, None, Status.AWAITING_PARTICULARS),
        (MatchOutcome.NO_TRACE, None, Status.NOT_REQUIRED),
    ],
)
def test_visor_is_asked_after_pnc_only_when_a_marker_cannot_be_ruled_out(
    outcome: MatchOutcome, marker: bool | None, then: Status
) -> None:
    pnc = CheckResult(
        system=S.PNC, party="subject", outcome=outcome, confidence=0.9, visor_marker=marker
    )
    assert visor_after_pnc(pnc) is then


def test_local_intelligence_is_asked_of_the_forces_own_system() -> None:
    assert system_tenant(S.LOCAL_INTELLIGENCE, force="cleveland", overrides={}) == (
        "cleveland-intel"
    )
    assert system_tenant(S.PNC, force="cleveland", overrides={}) == "pnc"
    assert system_tenant(S.PNC, force="cleveland", overrides={"pnc": "pnc-test"}) == "pnc-test"


def test_a_silent_system_is_asked_again_with_a_backoff_that_is_capped() -> None:
    first = timedelta(minutes=15)
    waits = [retry_delay(attempt, first) for attempt in range(1, 7)]
    assert waits == [first, 2 * first, 4 * first, 8 * first, 8 * first, 8 * first]


def test_a_silent_system_is_unavailable_when_the_wait_ends_never_a_silent_no() -> None:
    for status in (Status.SENT, Status.AWAITING_MARKER):
        closed = closed_result(system=S.PNC, party="subject", status=closing_status(status))
        assert closed.outcome is MatchOutcome.UNAVAILABLE


def test_a_party_without_particulars_is_insufficient_detail_saying_what_is_missing() -> None:
    status = closing_status(Status.AWAITING_PARTICULARS)
    closed = closed_result(system=S.PNC, party="applicant", status=status)
    assert closed.outcome is MatchOutcome.INSUFFICIENT_DETAIL
    assert closed.missing == ("particulars of the applicant: none given",)


async def test_a_stub_in_outage_fails_until_it_is_back() -> None:
    down = Behaviour(StubSettings(outage_seconds=60.0), started=0.0)
    assert down.outage_left() == 0.0  # started long ago on the monotonic clock
    up_later = Behaviour(StubSettings(outage_seconds=3600.0))
    assert up_later.outage_left() > 3500
    failing = Behaviour(StubSettings(error_rate=1.0))
    with pytest.raises(SystemUnavailable):
        await failing.before_answer()
    assert isinstance(SystemUnavailable("x"), OSError)  # the runtime retries, never dead-letters


def test_the_same_seed_draws_the_same_people() -> None:
    def draw(seed: int) -> list[object]:
        rng = random.Random(seed)
        return [person(rng, i, DEFAULT_FORCES, [1.0] * len(DEFAULT_FORCES)) for i in range(50)]

    assert draw(4) == draw(4)
    assert draw(4) != draw(5)
