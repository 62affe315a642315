"""The disclosure service's subscribers."""

from __future__ import annotations

import os

from schemas import catalogue, topics
from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1
from schemas.disclosure import RepeatedRequestsFlaggedV1
from schemas.intake import ApplicationSubmittedV1
from schemas.multiagency import ForumDecidedV1
from services.disclosure import flags, use_cases
from services.runtime.clock import Clock
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Subscription, Wiring
from services.runtime.unit_of_work import Transaction

# How a force tells a 'no concerns' applicant: "visit" (best practice, 5.6.4: a person records
# it through the API) or "letter" (5.6.5: rendered from the template and sent at once).
NO_CONCERNS_SETTING = "CSODS_DISCLOSURE_NO_CONCERNS"


def wire(tenant: str, clock: Clock) -> Wiring:
    """Disclosure reads the face to face, the checks (late ones too), the forum and INI's flags."""
    by_letter = os.environ.get(NO_CONCERNS_SETTING, "visit").strip().lower() == "letter"

    async def on_application_submitted(
        tx: Transaction, delivery: Delivery[ApplicationSubmittedV1]
    ) -> None:
        await use_cases.note_application(tx, application=delivery.message, cause=delivery.envelope)

    async def on_checks_completed(tx: Transaction, delivery: Delivery[ChecksCompletedV1]) -> None:
        await use_cases.note_checks(tx, checks=delivery.message, cause=delivery.envelope)

    async def on_check_answered_late(
        tx: Transaction, delivery: Delivery[CheckAnsweredLateV1]
    ) -> None:
        await use_cases.note_late_answer(tx, late=delivery.message, cause=delivery.envelope)

    async def on_forum_decided(tx: Transaction, delivery: Delivery[ForumDecidedV1]) -> None:
        await use_cases.take_route(
            tx,
            decision=delivery.message,
            cause=delivery.envelope,
            clock=clock,
            no_concerns_by_letter=by_letter,
        )

    async def on_repeated_requests(
        tx: Transaction, delivery: Delivery[RepeatedRequestsFlaggedV1]
    ) -> None:
        envelope = delivery.envelope
        await flags.note_flag(
            tx, flag=delivery.message, sender=envelope.tenant, source=envelope.source
        )

    def one(topic: str, route: Route) -> Subscription:
        return Subscription(topic=topic, routes={route.model.TYPE: route})

    return Wiring(
        subscriptions=[
            one(
                topics.stream(tenant, "intake", "application-submitted"),
                Route(ApplicationSubmittedV1, on_application_submitted),
            ),
            one(
                topics.stream(tenant, "checks", "checks-completed"),
                Route(ChecksCompletedV1, on_checks_completed),
            ),
            one(
                topics.stream(tenant, "checks", "check-answered-late"),
                Route(CheckAnsweredLateV1, on_check_answered_late),
            ),
            one(
                topics.stream(tenant, "multiagency", "forum-decided"),
                Route(ForumDecidedV1, on_forum_decided),
            ),
            Subscription(
                topic=topics.inbox_prefix(tenant),
                every_sender=True,
                routes={
                    RepeatedRequestsFlaggedV1.TYPE: Route(
                        RepeatedRequestsFlaggedV1, on_repeated_requests, addressed_to="force"
                    )
                },
                ignored=catalogue.inbox_types_for_others(use_cases.SERVICE),
            ),
        ],
        publishes=[spec.name(tenant) for spec in catalogue.produced_by(use_cases.SERVICE)],
    )
