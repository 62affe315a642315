"""Every service has one handler table, and it handles each type the service reads once.

The tables are imported as they are (no wiring, no broker), and the types they must cover
come from the published catalogue, not from the tables themselves.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from schemas import catalogue
from schemas.base import Message
from schemas.catalogue import SERVICES, Kind
from schemas.checks import CheckAnsweredV1
from schemas.intake import RegisterEnquiryV1
from services.runtime.handlers import TableMismatch, check_table, consumed_types, subscriptions
from services.runtime.service import ServiceDefinition

ROOT = Path(__file__).resolve().parents[2]
# The role of each file every service has (architecture §6).
SHAPE = ("app.py", "handlers.py", "use_cases.py", "domain.py", "store.py")


def table_of(service: str) -> ModuleType:
    return importlib.import_module(f"services.{service}.handlers")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_the_same_files(service: str) -> None:
    folder = ROOT / "services" / service
    assert [name for name in SHAPE if not (folder / name).is_file()] == []
    assert (folder / "migrations").is_dir()
    definition = importlib.import_module(f"services.{service}.app").definition
    assert isinstance(definition, ServiceDefinition)
    assert definition.name == service


@pytest.mark.parametrize("service", SERVICES)
def test_each_type_the_catalogue_says_a_service_reads_has_one_handler(service: str) -> None:
    handlers = table_of(service).HANDLERS
    read: list[type[Message]] = [
        message
        for spec in catalogue.consumed_by(service)
        if spec.kind is Kind.STREAM
        for message in spec.messages
    ] + [
        message
        for message in catalogue.FORCE_INBOX.messages
        if service in catalogue.FORCE_INBOX.consumers_of(message)
    ]
    assert read, f"the catalogue names nothing {service} reads"
    assert set(handlers) == set(read)
    for message in read:
        assert callable(handlers[message]), message.__name__


@pytest.mark.parametrize("service", SERVICES)
def test_the_routes_built_from_a_table_cover_what_the_service_reads(service: str) -> None:
    module = table_of(service)
    found = subscriptions(service, "kent", module.HANDLERS, _deps(module))
    routed = {kind for subscription in found for kind in subscription.routes}
    assert routed == {message.TYPE for message in consumed_types(service)}
    for subscription in found:  # another service's type on a shared inbox is acked, unread
        assert not subscription.ignored & subscription.routes.keys()


def test_a_table_missing_a_type_is_refused() -> None:
    handlers = dict(table_of("checks").HANDLERS)
    del handlers[CheckAnsweredV1]
    with pytest.raises(TableMismatch, match="no handler for \\['CheckAnsweredV1'\\]"):
        check_table("checks", handlers)


def test_a_table_handling_a_type_the_service_never_reads_is_refused() -> None:
    handlers: dict[type[Message], Any] = dict(table_of("checks").HANDLERS)
    handlers[RegisterEnquiryV1] = table_of("intake").HANDLERS[RegisterEnquiryV1]
    with pytest.raises(TableMismatch, match="not read by the catalogue: \\['RegisterEnquiryV1'\\]"):
        check_table("checks", handlers)


def _deps(module: ModuleType) -> object:
    """Placeholder dependencies: routing binds them but never calls a handler here."""
    return object.__new__(module.Deps)
