"""structlog set up once per process: JSON when not on a terminal, identifiers only."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog
from pydantic import BaseModel

from schemas.redaction import redact
from services.runtime.tracing import add_trace_ids


def failure(exc: BaseException) -> dict[str, str]:
    """Log fields for an exception: its type and where it was raised, never its message.

    Exception messages can carry data values (a database error's key, a parser's input),
    and payloads are personal data.
    """
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f"{frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno}" if frame else "?"
    return {"error": type(exc).__name__, "raised_at": where}


def redact_messages(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: a message or part logged by mistake shows only what is safe."""
    for key, value in event.items():
        if isinstance(value, BaseModel):
            event[key] = redact(value)
    return event


def configure_logging(*, json: bool | None = None, level: str = "info") -> None:
    """Configure structlog and the standard library's logging to one stream on stderr."""
    as_json = (not sys.stderr.isatty()) if json is None else json
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        redact_messages,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries log through the standard library; keep them quiet unless they warn.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(message)s")
