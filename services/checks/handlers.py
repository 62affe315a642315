"""The checks service's handler table: requests, the particulars to check, and the answers.

Each handler is a use case taking (deps, tx, delivery); `Deps` is what app.py binds.
"""

from __future__ import annotations

from schemas.checks import CheckAnsweredV1, RequestChecksV1, SettleMatchV1
from schemas.intake import ApplicationSubmittedV1, EnquiryRegisteredV1
from services.checks import use_cases
from services.checks.use_cases import Deps
from services.runtime.handlers import HandlerTable

__all__ = ["HANDLERS", "Deps"]

HANDLERS: HandlerTable[Deps] = {
    RequestChecksV1: use_cases.request_checks,
    CheckAnsweredV1: use_cases.record_answer,
    # A researcher settled a possible match (5.4.4).
    SettleMatchV1: use_cases.settle_match,
    # The parties' particulars as intake recorded them: what the queries will ask about.
    EnquiryRegisteredV1: use_cases.record_particulars,
    ApplicationSubmittedV1: use_cases.record_particulars,
}
