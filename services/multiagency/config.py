"""The multi-agency service's own settings (prefix `CSODS_MULTIAGENCY_`), beside the runtime's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.multiagency.areas import Area, Directory


class AreaSetting(BaseModel):
    """An area given in CSODS_MULTIAGENCY_AREAS (JSON list)."""

    force: str
    childrens_social_care: str | None = None
    probation: str | None = None
    postcode_areas: list[str] = Field(default_factory=list)
    towns: list[str] = Field(default_factory=list)

    def area(self) -> Area:
        """The directory entry."""
        return Area(
            force=self.force,
            childrens_social_care=self.childrens_social_care or f"csc-{self.force}",
            probation=self.probation or f"probation-{self.force}",
            postcode_areas=frozenset(code.upper() for code in self.postcode_areas),
            towns=frozenset(town.lower() for town in self.towns),
        )


class MultiagencyConfig(BaseSettings):
    """Timescales, the deadline timer and the area directory of one multi-agency instance."""

    model_config = SettingsConfigDict(env_prefix="CSODS_MULTIAGENCY_", extra="ignore", frozen=True)

    timer_seconds: float = Field(
        default=5.0,
        ge=0,
        description=(
            "How often the process looks for consultation reminders, overdue answers and late "
            "handoffs; 0 turns the timer off."
        ),
    )
    consultation_seconds: float = Field(
        default=3 * 24 * 3600.0,
        gt=0,
        description="How long an agency is given to answer a consultation (5.4.8 bounds it).",
    )
    referral_acknowledge_seconds: float = Field(
        default=3600.0,
        gt=0,
        description=(
            "How soon children's social care must acknowledge a referral of immediate risk "
            "before the force chases it (2.7: action at once)."
        ),
    )
    await_application: bool = Field(
        default=True,
        description=(
            "Assess a case only after its application's stage 4 checks (5.4.4). Off (for a "
            "pipeline with no face to face, such as the walking skeleton): a case with no "
            "application on record is assessed on the checks that completed last."
        ),
    )
    officer_signs_off: bool = Field(
        default=True,
        description=(
            "The full risk assessment waits for a trained officer to sign it off, answering "
            "Appendix D's questions, before the forum or any conclusion (5.4.2, 5.4.3). Off "
            "only for a pipeline with no person in it (the walking skeleton, the benchmark): "
            "the system's categorisation then stands, and its event names no officer."
        ),
    )
    areas: list[AreaSetting] = Field(
        default_factory=list, description="Areas added to the pilot forces' directory."
    )

    def directory(self) -> Directory:
        """The pilot forces' areas plus those configured."""
        return Directory().with_areas(setting.area() for setting in self.areas)


@dataclass(frozen=True, slots=True)
class Context:
    """What the use cases need to know of the force's surroundings and timescales."""

    directory: Directory
    consultation_window: timedelta
    referral_window: timedelta = timedelta(hours=1)
    # Hold every case for its application's stage 4 checks (5.4.4).
    await_application: bool = True
    # Hold every assessment for a trained officer's sign-off (5.4.2).
    officer_signs_off: bool = True


def context_of(config: MultiagencyConfig) -> Context:
    """The use cases' context from the service's settings."""
    return Context(
        directory=config.directory(),
        consultation_window=timedelta(seconds=config.consultation_seconds),
        referral_window=timedelta(seconds=config.referral_acknowledge_seconds),
        await_application=config.await_application,
        officer_signs_off=config.officer_signs_off,
    )
