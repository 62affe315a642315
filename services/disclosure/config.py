"""The disclosure service's own settings, from `CSODS_DISCLOSURE_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DisclosureSettings(BaseSettings):
    """How a force tells a 'no concerns' applicant, and which tenant is INI."""

    model_config = SettingsConfigDict(env_prefix="CSODS_DISCLOSURE_", extra="ignore", frozen=True)

    no_concerns: Literal["visit", "letter"] = Field(
        default="visit",
        description=(
            "'visit': an officer tells the applicant and records it through the API (5.6.4, "
            "best practice); 'letter': the letter is rendered and sent at once (5.6.5)."
        ),
    )
    ini_tenant: str = Field(
        default="ini",
        min_length=1,
        description=(
            "The tenant of INI, where final intelligence reports go (6.1) and the only one "
            "whose flags on repeated requests the force accepts."
        ),
    )
