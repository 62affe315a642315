"""The checks service's own settings, from `CSODS_CHECKS_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChecksSettings(BaseSettings):
    """How long a stage waits for answers, how often a silent system is asked again."""

    model_config = SettingsConfigDict(env_prefix="CSODS_CHECKS_", extra="ignore", frozen=True)

    answer_wait_seconds: float = Field(
        default=4 * 3600.0,
        gt=0,
        description=(
            "How long a stage's checks wait for every answer before completing with the "
            "silent systems 'unavailable' (stage 1 must end within 24 hours, 5.1.13)."
        ),
    )
    retry_seconds: float = Field(
        default=15 * 60.0,
        gt=0,
        description="First wait before a query without an answer is sent again; doubles each time.",
    )
    sweep_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the service looks for waits ended and retries due.",
    )
    system_tenants: str = Field(
        default="",
        description=(
            "Tenants running the national systems, where not the usual pnc, visor, ini, ceop "
            "and acro: e.g. 'pnc=pnc-test,visor=visor-test'."
        ),
    )

    def tenant_overrides(self) -> dict[str, str]:
        """The system tenants given, by system value."""
        pairs = (item.split("=", 1) for item in self.system_tenants.split(",") if "=" in item)
        return {system.strip(): tenant.strip() for system, tenant in pairs}
