"""Ops' handler table: every event of its force's streams, merged into the read model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas import catalogue
from schemas.catalogue import Kind, TopicSpec
from services.ops import use_cases
from services.runtime.consumer import Delivery
from services.runtime.handlers import HandlerTable
from services.runtime.unit_of_work import Transaction


@dataclass(frozen=True)
class Deps:
    """What ops' handlers are given by the composition root (app.py): nothing yet."""


def read_streams() -> tuple[TopicSpec, ...]:
    """The streams the read model is projected from: every stream ops is named a reader of."""
    return tuple(spec for spec in catalogue.consumed_by("ops") if spec.kind is Kind.STREAM)


async def on_event(deps: Deps, tx: Transaction, delivery: Delivery[Any]) -> None:
    """Any event of a force's streams: merged into the read model (ops/domain.py)."""
    await use_cases.project(tx, envelope=delivery.envelope, message=delivery.message)


HANDLERS: HandlerTable[Deps] = {
    message: on_event for spec in read_streams() for message in spec.messages
}
