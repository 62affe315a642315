"""One vocabulary for the HTTP APIs' models in every service: `...Request` in, `...View` out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APIS = sorted((ROOT / "services").glob("*/api.py"))


@pytest.mark.parametrize("api", APIS, ids=lambda path: path.parent.name)
def test_every_model_of_an_api_is_a_request_or_a_view(api: Path) -> None:
    tree = ast.parse(api.read_text())
    models = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    assert models, f"{api.parent.name}/api.py defines no models"
    assert [name for name in models if not name.endswith(("Request", "View"))] == []
