"""Every setting of every process in one page (docs/settings.md), made from the models.

Each process reads the runtime's settings (`CSODS_*`) and, for a service or stand-in with
settings of its own, one model more under its own prefix. The page is generated from the
models' fields and descriptions, so it cannot fall behind them; a test compares it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from services.checks.config import ChecksSettings
from services.checks.stubs.behaviour import StubSettings
from services.disclosure.config import DisclosureSettings
from services.multiagency.config import MultiagencyConfig
from services.multiagency.stubs.agency import AgencyBehaviour
from services.portal.config import PortalSettings
from services.runtime.settings import Settings

PAGE = Path(__file__).resolve().parents[1] / "docs" / "settings.md"

MODELS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("every process (services/runtime/settings.py)", Settings),
    ("checks (services/checks/config.py)", ChecksSettings),
    ("multiagency (services/multiagency/config.py)", MultiagencyConfig),
    ("disclosure (services/disclosure/config.py)", DisclosureSettings),
    ("the public online form (services/portal/config.py)", PortalSettings),
    ("the national systems' stand-ins (services/checks/stubs/behaviour.py)", StubSettings),
    ("the agencies' stand-ins (services/multiagency/stubs/agency.py)", AgencyBehaviour),
)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "none" if not field.default_factory() else "(computed)"  # type: ignore[call-arg]
    if field.default is PydanticUndefined:
        return "required"
    if field.default in (None, ""):
        return "none"
    return f"`{field.default}`"


def render() -> str:
    """The page."""
    lines = [
        "# Settings",
        "",
        "Every setting of every process, from the environment. Generated from the settings",
        "models by `csods settings write`; do not edit by hand.",
    ]
    for title, model in MODELS:
        prefix = str(model.model_config.get("env_prefix", ""))
        lines += ["", f"## {title}", "", "| variable | default | meaning |", "|---|---|---|"]
        for name, field in model.model_fields.items():
            meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{prefix}{name.upper()}` | {_default(field)} | {meaning} |")
    return "\n".join(lines) + "\n"


def write() -> bool:
    """Write the page; whether it changed."""
    text = render()
    if PAGE.is_file() and PAGE.read_text() == text:
        return False
    PAGE.write_text(text)
    return True
