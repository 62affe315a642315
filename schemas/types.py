"""Constrained types shared by every message: declared once, reused everywhere."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from schemas.fields import CLASSIFICATION_KEY, Classification

_NONE = {CLASSIFICATION_KEY: Classification.NONE.value}

TENANT_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

Tenant = Annotated[
    str,
    Field(
        pattern=TENANT_PATTERN,
        min_length=2,
        max_length=63,
        description="A tenant: a police force or an agency, lower case, words joined by '-'.",
        examples=["warwickshire"],
        json_schema_extra=_NONE,
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
        json_schema_extra=_NONE,
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
        json_schema_extra=_NONE,
    ),
]

CorrelationId = Annotated[
    UUID,
    Field(
        description="An id that pairs a request with its answer across tenants.",
        examples=["7b0e3f6c-3c1a-4d9e-9f53-2a8f1e6b5c40"],
        json_schema_extra=_NONE,
    ),
]

PartyId = Annotated[
    str,
    Field(
        pattern=r"^(applicant|subject|child-\d{1,2})$",
        description="Which party of the case: the applicant, the subject, or child-1, child-2...",
        examples=["child-1"],
        json_schema_extra=_NONE,
    ),
]

FreeText = Annotated[str, Field(min_length=1, max_length=8000)]
"""Free text written by a person: always personal data at least."""
