"""Intake's handler table: what each message it reads makes it do (stages 1 to 3)."""

from __future__ import annotations

from schemas.intake import RegisterEnquiryV1
from services.intake import use_cases
from services.intake.use_cases import Deps
from services.runtime.handlers import HandlerTable

__all__ = ["HANDLERS", "Deps"]

HANDLERS: HandlerTable[Deps] = {RegisterEnquiryV1: use_cases.register_enquiry}
