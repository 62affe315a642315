"""docs/settings.md lists every setting of every process as the models define them."""

from __future__ import annotations

from services import settings_reference
from services.runtime.settings import Settings


def test_the_settings_page_is_current() -> None:
    page = settings_reference.PAGE.read_text()
    assert page == settings_reference.render(), "stale: run `./dev settings write`"


def test_the_page_names_every_field_of_every_model() -> None:
    page = settings_reference.PAGE.read_text()
    for _, model in settings_reference.MODELS:
        prefix = str(model.model_config.get("env_prefix", ""))
        for name in model.model_fields:
            assert f"`{prefix}{name.upper()}`" in page, name
    assert "`CSODS_TRACE_FILE`" in page  # read through Settings, no longer os.environ
    assert "trace_file" in Settings.model_fields
