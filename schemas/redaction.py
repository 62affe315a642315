"""Redaction by classification: what logs and dead-letter views may show of a message."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from schemas.fields import CLASSIFICATION_KEY, Classification
from schemas.registry import BY_TYPE


def classification_of(info: FieldInfo) -> Classification:
    """A field's classification; a field without one is treated as personal, to be safe."""
    extra = info.json_schema_extra
    value = extra.get(CLASSIFICATION_KEY) if isinstance(extra, dict) else None
    return Classification(value) if isinstance(value, str) else Classification.PERSONAL


def redact(model: BaseModel) -> dict[str, Any]:
    """The model as plain data with every personal or criminal-offence value replaced."""
    shown: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        classification = classification_of(info)
        if classification is not Classification.NONE and value not in (None, (), ""):
            shown[name] = f"[{classification.value}]"
        else:
            shown[name] = _plain(value)
    return shown


def redact_payload(ce_type: str, payload: bytes) -> dict[str, Any] | str:
    """A stored payload as it may be shown: redacted, or only its size if it cannot be read."""
    model = BY_TYPE.get(ce_type)
    if model is None:
        return f"[unknown type: {len(payload)} bytes]"
    try:
        return redact(model.model_validate_json(payload))
    except ValidationError:
        return f"[invalid {ce_type}: {len(payload)} bytes]"


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return redact(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
