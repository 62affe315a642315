"""Constrained types shared by every message: declared once, reused everywhere."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

TENANT_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

Tenant = Annotated[
    str,
    Field(
        pattern=TENANT_PATTERN,
        min_length=2,
        max_length=63,
        description="A tenant: a police force or an agency, lower case, words joined by '-'.",
        examples=["warwickshire", "csc-warwickshire", "probation-west-midlands"],
    ),
]
"""A force (`warwickshire`) or an agency (`csc-warwickshire`, `pnc`)."""

CASE_REFERENCE_PATTERN = r"^[a-z][a-z0-9-]*-\d{4}-\d{6}$"

CaseReference = Annotated[
    str,
    Field(
        pattern=CASE_REFERENCE_PATTERN,
        max_length=80,
        description=(
            "The owning force's reference for one case: force, year of the initial contact, "
            "and a number within that force and year. It is the Kafka key of every message "
            "about the case, so one case stays in order on one partition."
        ),
        examples=["warwickshire-2026-000042"],
    ),
]

SubmissionId = Annotated[
    str,
    Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The sending system's own id for a submission made before a case exists.",
        examples=["portal-7f3c9a1e"],
    ),
]
