"""The public online form's own settings, from `CSODS_PORTAL_*` environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    """How much the form takes, how often, and how its cookies are kept."""

    model_config = SettingsConfigDict(env_prefix="CSODS_PORTAL_", extra="ignore", frozen=True)

    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=4096,
        description="The largest request body the form reads; a larger one is refused (413).",
    )
    submissions_per_window: int = Field(
        default=5,
        ge=1,
        description="Applications one client address may send per window (a token bucket); "
        "more are refused (429) with the form kept. A form refused for its answers costs "
        "nothing.",
    )
    window_seconds: float = Field(
        default=600.0, gt=0, description="The window in which that many may be sent."
    )
    addresses_remembered: int = Field(
        default=100_000,
        ge=100,
        description="Client addresses the rate limit remembers at most; the longest idle "
        "are forgotten first.",
    )
    publish_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The longest an application waits for the broker's acknowledgement before "
        "the applicant is asked to send it again (the same submission, so one enquiry).",
    )
    form_secret: SecretStr | None = Field(
        default=None,
        description="The key that signs the browser cookie and the form tokens; every portal "
        "process of a force behind one address shares it. None: a random key per process, so "
        "a form opened before a restart is refused and opened again.",
    )
    secure_cookies: bool = Field(
        default=True,
        description="Cookies only over HTTPS; false only for a test deployment on plain HTTP "
        "away from the browser's own machine.",
    )
    exit_url: str = Field(
        default="https://www.bbc.co.uk/weather",
        description="Where 'Exit this page' goes: a neutral site that says nothing of the form.",
    )
    force_name: str | None = Field(
        default=None,
        description="The force's name on every page; default: the tenant in title case.",
    )
