"""The shape STYLE.md asks for, held by tests rather than by goodwill."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from schemas.base import Message
from schemas.registry import MESSAGES
from services.catalogue import SERVICES

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = {"faststream", "asyncpg", "structlog", "aiokafka"}


@pytest.mark.parametrize("service", SERVICES)
def test_domain_imports_no_io(service: str) -> None:
    tree = ast.parse((ROOT / "services" / service / "domain.py").read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & IO_LIBRARIES


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.__name__)
def test_every_message_is_frozen_versioned_and_described(message: type[Message]) -> None:
    assert message.TYPE.endswith(".v1")
    assert message.__name__.endswith("V1")
    assert message.model_config.get("frozen") is True
    for name, field in message.model_fields.items():
        assert field.description, f"{message.__name__}.{name} has no description"


def test_message_types_are_unique() -> None:
    types = [message.TYPE for message in MESSAGES]
    assert len(types) == len(set(types))
