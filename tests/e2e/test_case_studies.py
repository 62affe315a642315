"""The four case studies of 2009, a cross-force case and a second request about its subject,
end to end on the whole system.

Every force's four services and every stand-in run as separate processes on the real broker
and database; a scripted case worker takes the human steps through the public APIs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from services.demo import cast
from services.demo.play import DEMO_ENV, Played, figures, flagged_forces, flags, play
from services.demo.system import PILOT_FORCES, LocalSystem, deployment, plan
from services.demo.worker import CaseWorker
from tests.conftest import Provision
from tests.support.stack import FoundStack
from tests.support.staff import ENV as STAFF_ENV
from tests.support.staff import token


@pytest.fixture(scope="module")
def played(
    stack: FoundStack,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    provision: Provision,
) -> Iterator[list[Played]]:
    logs: Path = tmp_path_factory.mktemp("case-studies")
    provision(deployment(PILOT_FORCES))  # the pilot forces, their agencies, the systems
    system = LocalSystem(
        plan(PILOT_FORCES),
        {
            **stack.client_env(),
            "CSODS_DATABASE_URL": database_url,
            **DEMO_ENV,
            **STAFF_ENV,
        },
        logs,
    )
    worker = CaseWorker(system.url, token)
    try:
        system.start()
        asyncio.run(cast.enter(database_url))
        yield play(Console(file=(logs / "console.txt").open("w"), width=140), worker)
    finally:
        worker.release()
        system.stop()


@pytest.mark.parametrize(
    "number",
    range(6),
    ids=[
        "disclosure-and-protective-action",
        "no-disclosure-but-protective-action",
        "partial-disclosure",
        "no-disclosure",
        "cross-force",
        "second-request",
    ],
)
def test_each_case_ends_as_the_press_release_describes(played: list[Played], number: int) -> None:
    result = played[number]
    assert result.error is None, result.error
    assert result.outcome == result.story.expected_outcome
    # What happened on the way, as the system itself found and recorded it.
    facts, found = result.story.facts, result.found
    assert found is not None
    assert found.route == facts.route  # the route the assessment found, signed off as such
    assert facts.categories <= found.categories, found.categories
    if facts.route == "no-concerns":
        assert found.categories == frozenset()
    if facts.forum is not None:
        assert found.forum == facts.forum
    assert found.recipients == facts.recipients
    assert found.protective_actions == facts.protective_actions
    assert (found.referrals > 0) is facts.escalated  # case study 2's CPU investigation (s.47)


def test_the_figures_count_enquiries_applications_and_disclosures(
    played: list[Played], database_url: str
) -> None:
    counted = asyncio.run(figures(database_url))
    assert counted["warwickshire"] == (2, 2, 1)  # case study 1 and the cross-force case
    assert counted["cleveland"] == (2, 2, 0)  # case study 2 and the second request; its part
    # of the cross-force case is not an enquiry of its own
    assert counted["hampshire"] == (1, 1, 1)  # the partial disclosure counts as one
    assert counted["cambridgeshire"] == (1, 1, 0)


def test_a_subject_asked_about_by_two_forces_is_flagged_to_both(
    played: list[Played], database_url: str
) -> None:
    cross_force, second = played[4], played[5]
    assert cross_force.story.subject == second.story.subject
    assert flagged_forces() == {"warwickshire", "cleveland"}
    held = asyncio.run(flags(database_url, expect=flagged_forces()))
    by_force = {row["force"]: row for row in held}
    assert set(by_force) == {"warwickshire", "cleveland"}  # no other subject was asked twice
    assert by_force["warwickshire"]["case_reference"] == cross_force.case
    assert by_force["cleveland"]["case_reference"] == second.case
    assert {row["requests"] for row in held} == {"2"}
    assert len({row["subject_reference"] for row in held}) == 1
