"""Field declarations that carry a data classification, so redaction can follow it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

CLASSIFICATION_KEY = "x-classification"


class Classification(StrEnum):
    """How sensitive a field's value is (UK GDPR articles 9 and 10, DPA 2018 part 3)."""

    NONE = "none"  # identifiers, codes, times, flags: safe to log
    PERSONAL = "personal"  # about an identifiable person: names, addresses, free text
    CRIMINAL_OFFENCE = "criminal-offence"  # convictions, cautions, intelligence, disclosures


def field(
    description: str,
    example: Any,
    *,
    classification: Classification = Classification.NONE,
    default: Any = ...,
    **constraints: Any,
) -> Any:
    """A described field with one example and a classification."""
    return Field(
        default,
        description=description,
        examples=[example],
        json_schema_extra={CLASSIFICATION_KEY: classification.value},
        **constraints,
    )


def personal(description: str, example: Any, *, default: Any = ..., **constraints: Any) -> Any:
    """A field holding personal data."""
    return field(
        description, example, classification=Classification.PERSONAL, default=default, **constraints
    )


def offence(description: str, example: Any, *, default: Any = ..., **constraints: Any) -> Any:
    """A field holding criminal-offence data: convictions, intelligence, what was disclosed."""
    return field(
        description,
        example,
        classification=Classification.CRIMINAL_OFFENCE,
        default=default,
        **constraints,
    )
