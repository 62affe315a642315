"""The read model keeps one projection per type ops reads, registered by type, none missing."""

from __future__ import annotations

from schemas.base import Message
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
