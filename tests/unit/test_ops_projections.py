"""The read model keeps one projection per type ops reads, registered by type, none missing."""

from __future__ import annotations

from schemas import multiagency
from schemas.base import Message
from schemas.examples import example_payload
from schemas.intake import RegisterEnquiryV1
from services.ops import domain
from services.ops.handlers import HANDLERS


def test_each_type_ops_reads_has_its_own_projection() -> None:
    registered = set(domain.change_for.registry) - {object}
    assert registered == set(HANDLERS)
    for message in HANDLERS:
        assert domain.change_for.dispatch(message) is not domain.change_for.dispatch(object)


def test_a_type_the_model_does_not_keep_changes_nothing() -> None:
    assert RegisterEnquiryV1 not in HANDLERS  # an inbox command, never on ops' streams
    assert issubclass(RegisterEnquiryV1, Message)
    assert domain.change_for.dispatch(RegisterEnquiryV1) is domain.change_for.dispatch(object)


def test_a_case_concluded_without_a_forum_is_not_shown_as_a_meeting_5_6_3() -> None:
    decided = multiagency.ForumDecidedV1.model_validate(
        {**example_payload(multiagency.ForumDecidedV1), "route": "no-concerns"}
    )
    met = domain.change_for(decided)
    at_once = domain.change_for(decided.model_copy(update={"forum_met": False}))
    assert met is not None
    assert at_once is not None
    assert met.note == "strategy-discussion decided: no-concerns"
    assert at_once.note == "concluded without a forum: no-concerns (5.6.3)"


def test_an_unacknowledged_referral_is_on_the_case_for_the_duty_officer_2_7() -> None:
    from schemas.safeguarding import ReferralOverdueV1  # noqa: PLC0415

    overdue = ReferralOverdueV1.model_validate(example_payload(ReferralOverdueV1))
    change = domain.change_for(overdue)
    assert change is not None
    assert change.note == (
        "referral of immediate risk to csc-warwickshire not acknowledged in time: chased (2.7)"
    )
    assert "Taylor" not in change.note  # words without personal data
