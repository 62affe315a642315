"""Answers national systems gave after their stage's checks completed without them (5.4.4).

Each is kept against its case once. What it does depends on where the case stands: the
assessment still to be completed weighs it then, a forum convened and not yet decided has
its assessment revised with it (assessment.revise), and after the decision it is only
recorded, audited, and what was decided stands (6.2).
"""

from __future__ import annotations

from datetime import datetime

import structlog

from schemas.checks import CheckAnsweredLateV1, CheckResult
from services.multiagency import domain, store
from services.multiagency.domain import LateAnswer, LateEffect
from services.multiagency.store import Case, CaseState, LateRecord
from services.runtime import audit
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)

_ASSESSED = frozenset({CaseState.AWAITING_SIGN_OFF, CaseState.ASSESSED, CaseState.FORUM_SCHEDULED})
_DECIDED = frozenset({CaseState.DECIDED, CaseState.RETURNED})


def effect_on(case: Case) -> LateEffect:
    """What an answer read now does to its case, by where the case stands."""
    return domain.late_effect(assessed=case.state in _ASSESSED, decided=case.state in _DECIDED)


async def keep(
    tx: Transaction, case: Case, late: CheckAnsweredLateV1, *, now: datetime
) -> LateEffect | None:
    """Keep a late answer against its case; what it does there, or None if kept before."""
    effect = effect_on(case)
    answer = LateAnswer(stage=late.stage, result=late.result, concerns=late.concerns)
    kept = await store.add_late_answer(
        tx,
        case_reference=case.case_reference,
        late=LateRecord(
            answer=answer,
            answered_at=late.answered_at,
            checks_completed_at=late.completed_at,
            recorded_at=now,
            effect=effect,
        ),
    )
    fields = {
        "system": late.result.system.value,
        "party": late.result.party,
        "stage": late.stage.value,
        "outcome": late.result.outcome.value,
        "concerns": [concern.value for concern in late.concerns],
    }
    if not kept:
        log.info("late_answer_already_kept", **fields)
        return None
    if effect is not LateEffect.AFTER_DECISION:
        log.info("late_answer_kept", effect=effect.value, **fields)
    else:
        await joined_after_decision(
            tx,
            case,
            f"{late.result.system.value}'s late answer on the {late.result.party} at "
            f"{late.stage.value}",
            now=now,
            paragraphs="5.4.4, 6.2",
        )
        log.warning("late_answer_after_decision", state=case.state, **fields)
    return effect


async def joined_after_decision(
    tx: Transaction, case: Case, what: str, *, now: datetime, paragraphs: str
) -> None:
    """6.2: the record must stand scrutiny; it shows an answer came after the decision."""
    await tx.audit(
        audit.Action.COMBINATION,
        at=now,
        case_ref=case.case_reference,
        recipients=(),
        reason=f"{what} joined to the case after the forum decided; kept for review, the "
        f"decision stands ({paragraphs})",
    )


async def weighed(
    tx: Transaction, case: Case
) -> tuple[tuple[CheckResult, ...], tuple[LateAnswer, ...]]:
    """The case's checks completed by its late answers, and the late answers they weigh."""
    kept = await store.late_answers_of(tx, case_reference=case.case_reference)
    late = domain.weighed_late((record.answer for record in kept), stage=case.checks_stage)
    results = domain.with_late_answers(case.checks_results, late, stage=case.checks_stage)
    return results, late
