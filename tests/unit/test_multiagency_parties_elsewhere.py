"""Which force responds for which party (4.9, 4.10, 3.5): the subject and each child where
they live, the applicant never."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from schemas.multiagency import HandoffAction, HandoffRequestedV1, LawfulBasis
from schemas.parties import Address, Child, PartialDate, PersonName, Relationship
from services.multiagency import domain, handoff
from services.multiagency.areas import Area, Directory
from services.multiagency.store import OWNING, RESPONDING, Case
from tests.component.test_multiagency_harness import subject

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)
AREAS = Directory(
    (
        Area("home", "csc-home", "probation-home", frozenset({"QA"})),
        Area("north", "csc-north", "probation-north", frozenset({"QB"})),
        Area("south", "csc-south", "probation-south", frozenset({"QC"})),
    )
)


def child(party: str, postcode: str | None) -> Child:
    return Child(
        party=party,
        name=PersonName(forenames=("Amy",), surname="Jones"),
        date_of_birth=PartialDate(year=2019),
        relationship_to_applicant=Relationship.PARENT,
        relationship_verified=True,
        address=Address(lines=("1 High Street",), postcode=postcode) if postcode else None,
    )


def case(subject_at: str, *children: Child, role: str = OWNING) -> Case:
    return Case(
        case_reference="home-2026-000001",
        role=role,
        correlation_id=uuid4(),
        state="assessing",
        consent_to_share=True,
        behaviour_of_concern=False,
        subject=subject(subject_at),
        children=children,
        enquiry_at=NOW,
        application_at=NOW,
        risk_assessment_due_at=None,
        closure_due_at=None,
        checks_stage=None,
        checks_results=(),
        checks_completed_at=None,
        checks_requested_at=None,
        assessment_started_at=NOW,
        owning_force=None,
        owning_case_reference=None,
        handoff_id=None,
        respond_by=None,
    )


def test_a_child_living_in_another_forces_area_is_that_forces_to_safeguard_4_10_3_5() -> None:
    elsewhere = handoff.parties_elsewhere(
        case("QA1 1AA", child("child-1", None), child("child-2", "QB2 2BB")), AREAS, "home"
    )
    [north] = elsewhere
    assert north.force == "north"
    assert not north.subject
    assert north.party == "child-2"
    assert north.actions == (HandoffAction.SAFEGUARDING,)


def test_the_subject_and_a_child_in_one_area_go_to_it_in_one_handoff_4_10() -> None:
    here = child("child-1", "QA3 3CC")
    away = child("child-2", "QB2 2BB")
    elsewhere = handoff.parties_elsewhere(case("QB9 9ZZ", here, away), AREAS, "home")
    [north] = elsewhere
    assert north.subject
    assert north.party == "subject"
    assert [c.party for c in north.children] == ["child-2"]
    assert HandoffAction.SAFEGUARDING in north.actions
    assert HandoffAction.FORUM in north.actions
    assert handoff.children_here(case("QB9 9ZZ", here, away), elsewhere) == (here,)


def test_parties_in_two_other_areas_go_to_each_and_an_unknown_area_stays_4_10() -> None:
    kids = (child("child-1", "QC1 1AA"), child("child-2", "ZZ1 1ZZ"))
    elsewhere = handoff.parties_elsewhere(case("QB9 9ZZ", *kids), AREAS, "home")
    assert [(e.force, e.subject, [c.party for c in e.children]) for e in elsewhere] == [
        ("north", True, []),
        ("south", False, ["child-1"]),
    ]
    # A child with an address no known force covers is this force's own to safeguard.
    assert [c.party for c in handoff.children_here(case("QB9 9ZZ", *kids), elsewhere)] == [
        "child-2"
    ]


def test_a_responding_force_hands_nothing_on() -> None:
    responding = case("QC1 1AA", child("child-1", "QC2 2BB"), role=RESPONDING)
    assert handoff.parties_elsewhere(responding, AREAS, "north") == ()


def request(party: str, *children: Child) -> HandoffRequestedV1:
    return HandoffRequestedV1(
        handoff_id=uuid4(),
        owning_force="home",
        responding_force="north",
        owning_case_reference="home-2026-000001",
        party=party,
        particulars=subject("QA1 1AA"),
        children=children,
        actions=(HandoffAction.SAFEGUARDING,),
        respond_by=NOW,
        closure_due_at=NOW,
    )


def test_a_force_declines_a_child_who_does_not_live_in_its_area_4_10() -> None:
    assert (
        handoff.decline_reason(
            request("child-2", child("child-2", "QB2 2BB")), force="north", directory=AREAS
        )
        is None
    )
    reason = handoff.decline_reason(
        request("child-2", child("child-2", "QC2 2BB")), force="north", directory=AREAS
    )
    assert reason is not None
    assert "4.10" in reason
    # A child sent with no address at all is not shown to live there either.
    assert handoff.decline_reason(
        request("child-2", child("child-2", None)), force="north", directory=AREAS
    )


def test_a_responding_force_asks_its_csc_on_the_basis_the_owning_force_sent_5_4_5() -> None:
    consented = domain.shared_by_owning_force(LawfulBasis.CONSENT, None)
    assert consented.consult
    assert consented.basis is LawfulBasis.CONSENT
    necessary = domain.shared_by_owning_force(
        LawfulBasis.NECESSITY, "5.4.5: a Schedule 34A conviction; the child is at risk"
    )
    assert necessary.reason.startswith("5.4.5: a Schedule 34A")
    assert not domain.shared_by_owning_force(None, None).consult
