"""A service's handler table: one module-level function per message type it consumes.

Each service's `handlers.py` holds the table (`HANDLERS`, message model to function) and the
dependencies its functions take (`Deps`); the composition root (`app.py`) binds them, and the
topics each type is read from come from the catalogue (schemas/catalogue.py), so a type is
routed once and the table cannot drift from the published contracts (architecture §6).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from schemas import catalogue
from schemas.base import Message
from schemas.catalogue import Kind
from services.runtime.consumer import Delivery, Route
from services.runtime.service import Subscription, inbox_subscription
from services.runtime.unit_of_work import Transaction

D = TypeVar("D")

Handle = Callable[[D, Transaction, Delivery[Any]], Awaitable[None]]
HandlerTable = Mapping[type[Message], Handle[D]]


class TableMismatch(ValueError):  # noqa: N818 - a verdict on a table
    """A handler table that does not match what the catalogue says the service reads."""


def consumed_types(service: str) -> frozenset[type[Message]]:
    """Every message type the catalogue says `service` reads (streams and its force's inbox)."""
    found: set[type[Message]] = set()
    for spec in catalogue.consumed_by(service):
        if spec.kind is Kind.STREAM:
            found.update(spec.messages)
        elif spec is catalogue.FORCE_INBOX:
            found.update(m for m in spec.messages if service in spec.consumers_of(m))
    return frozenset(found)


def check_table(service: str, table: HandlerTable[Any]) -> None:
    """Refuse a table that leaves a consumed type unhandled or handles one never read."""
    wanted = consumed_types(service)
    missing = sorted(m.__name__ for m in wanted - table.keys())
    unread = sorted(m.__name__ for m in table.keys() - wanted)
    if missing or unread:
        raise TableMismatch(
            f"{service}: no handler for {missing or 'none'}; "
            f"handled but not read by the catalogue: {unread or 'none'}"
        )


def subscriptions(service: str, tenant: str, table: HandlerTable[D], deps: D) -> list[Subscription]:
    """The tenant's topics `service` reads, each type routed to its handler bound to `deps`."""
    check_table(service, table)

    def route(model: type[Message]) -> Route:
        handle = table[model]

        async def bound(tx: Transaction, delivery: Delivery[Any]) -> None:
            await handle(deps, tx, delivery)

        return Route(model, bound)

    found: list[Subscription] = []
    for spec in catalogue.consumed_by(service):
        if spec.kind is Kind.STREAM:
            routes = {m.TYPE: route(m) for m in spec.messages}
            found.append(Subscription(topic=spec.name(tenant), routes=routes))
    inbox = {m.TYPE: route(m) for m in catalogue.FORCE_INBOX.messages if m in table}
    if inbox:
        found.append(inbox_subscription(tenant, inbox, catalogue.inbox_types_for_others(service)))
    return found


def publishes(service: str, tenant: str) -> list[str]:
    """The tenant's streams `service` writes."""
    return [spec.name(tenant) for spec in catalogue.produced_by(service)]
