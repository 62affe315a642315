"""A children's social care system (stand-in): the children it knows and their plans (5.4.5).

`csods run childrens-social-care --tenant csc-warwickshire` answers consultations from the
records `csods agencies seed childrens-social-care --tenant csc-warwickshire` put there.
"""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

from schemas.multiagency import AgencyKind, ConsultationOutcome, RequestConsultationV1
from schemas.parties import Child
from schemas.safeguarding import ReferImmediateRiskV1, ReferralResponse
from services.multiagency.stubs.agency import AgencySystem, Answer
from services.multiagency.stubs.matching import Person, matches
from services.multiagency.stubs.records import Records
from services.runtime.connection import Connection

NAME = "childrens_social_care"
RECORDS = Records(
    "known_children",
    (
        "record_id",
        "forenames",
        "surname",
        "birth_year",
        "child_protection_plan",
        "plan_since",
        "restricted",
    ),
    {"birth_year": None, "child_protection_plan": False, "plan_since": None, "restricted": False},
)


async def _known(conn: Connection, tenant: str, children: tuple[Child, ...]) -> list[Any]:
    """The records of the children concerned, matched by name and year of birth."""
    rows = await conn.fetch(
        "SELECT forenames, surname, birth_year, child_protection_plan, plan_since, restricted"
        " FROM known_children WHERE tenant = $1",
        tenant,
    )
    return [
        row
        for row in rows
        for child in children
        if matches(
            (child.name,),
            child.date_of_birth,
            Person(row["forenames"], row["surname"], row["birth_year"]),
        )
    ]


async def lookup(conn: Connection, tenant: str, request: RequestConsultationV1) -> Answer:
    """What the records say of the children concerned: known, on a plan, or restricted."""
    found = await _known(conn, tenant, request.children)
    if any(row["restricted"] for row in found):
        return Answer(ConsultationOutcome.DECLINED_TO_SHARE)
    plans = sorted(row["plan_since"] or 0 for row in found if row["child_protection_plan"])
    if plans:
        since = f" since {plans[0]}" if plans[0] else ""
        return Answer(
            ConsultationOutcome.INFORMATION_SHARED,
            information=f"A child concerned is subject to a child protection plan{since}.",
            child_protection_plan=True,
        )
    if found:
        return Answer(
            ConsultationOutcome.INFORMATION_SHARED,
            information="A child concerned is known to children's social care; no open plan.",
            child_protection_plan=False,
        )
    return Answer(ConsultationOutcome.NOTHING_KNOWN, child_protection_plan=False)


async def respond(
    conn: Connection, tenant: str, referral: ReferImmediateRiskV1
) -> ReferralResponse:
    """What it does with a referral of immediate risk: the allocated social worker acts for a
    child already on a plan; otherwise a strategy discussion with the police, now."""
    found = await _known(conn, tenant, referral.children)
    if any(row["child_protection_plan"] for row in found):
        return ReferralResponse.ALREADY_ALLOCATED
    return ReferralResponse.STRATEGY_DISCUSSION


def generate(faker: Faker, rng: random.Random, number: int) -> tuple[object, ...]:
    """One seeded record: a child, sometimes on a plan, rarely restricted."""
    plan = rng.random() < 0.15
    return (
        f"seed-{number:05d}",
        faker.first_name(),
        faker.last_name(),
        rng.randint(2008, 2024),
        plan,
        rng.randint(2021, 2026) if plan else None,
        rng.random() < 0.03,
    )


SYSTEM = AgencySystem(
    name=NAME,
    kind=AgencyKind.CHILDRENS_SOCIAL_CARE,
    lookup=lookup,
    respond_to_referral=respond,
)
definition = SYSTEM.definition()
