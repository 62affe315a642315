"""The disclosure service's handler table: the application (or an enquiry that ended at
intake), the checks, the forum, INI's flags.

Each handler is a use case taking (deps, tx, delivery); `Deps` is what app.py binds.
"""

from __future__ import annotations

from schemas.checks import CheckAnsweredLateV1, ChecksCompletedV1
from schemas.disclosure import RepeatedRequestsFlaggedV1
from schemas.intake import ApplicationSubmittedV1, EnquiryRedirectedV1, IntelligenceSubmittedV1
from schemas.multiagency import ForumDecidedV1
from services.disclosure import flags, use_cases
from services.disclosure.use_cases import Deps
from services.runtime.handlers import HandlerTable

__all__ = ["HANDLERS", "Deps"]

HANDLERS: HandlerTable[Deps] = {
    ApplicationSubmittedV1: use_cases.note_application,
    EnquiryRedirectedV1: use_cases.close_redirected,
    IntelligenceSubmittedV1: use_cases.close_as_intelligence,
    ChecksCompletedV1: use_cases.note_checks,
    CheckAnsweredLateV1: use_cases.note_late_answer,
    ForumDecidedV1: use_cases.take_route,
    RepeatedRequestsFlaggedV1: flags.note_flag,
}
