"""The refusals every service speaks: a broken rule, a case not found, a step out of order.

Pure: domain modules raise these without importing any I/O.
"""

from __future__ import annotations


class RuleViolation(ValueError):  # noqa: N818 - a verdict on a request, not our failure
    """A request breaks a rule of the scheme; the text names the field and the rule."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class CaseNotFound(LookupError):  # noqa: N818 - the plain words
    """No such case for this force (another force's case is not found either)."""


class WrongStage(RuntimeError):  # noqa: N818
    """The case is not at the stage this step belongs to; the text says why."""
