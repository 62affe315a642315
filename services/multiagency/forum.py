"""The forum that decides (5.6.12): chosen, scheduled (5.6.27), and its conclusion recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import uuid4

import structlog

from schemas.multiagency import (
    Forum,
    ForumDecidedV1,
    ForumScheduledV1,
)
from services.multiagency import domain, handoff, store
from services.multiagency.areas import Directory
from services.multiagency.domain import Conclusion, Schedule
from services.multiagency.messaging import emit
from services.multiagency.store import Case, CaseState, ForumRecord
from services.runtime import audit
from services.runtime.emitter import Cause
from services.runtime.unit_of_work import Transaction

log = structlog.get_logger(__name__)


def invited(
    forum: Forum, *, force: str, consulted: Sequence[str], directory: Directory
) -> tuple[str, ...]:
    """Who is invited: the agencies consulted and the forum's own core agency."""
    area = directory.area(force)
    core = area.probation if forum is Forum.MAPPA_MEETING else area.childrens_social_care
    return tuple(sorted({*consulted, core}))


async def schedule(
    tx: Transaction,
    case: Case,
    plan: Schedule,
    *,
    invitations: tuple[str, ...],
    trigger: Cause,
    now: datetime,
) -> ForumRecord:
    """Schedule the case's forum (or move it, keeping its id) and say so on the stream."""
    existing = await store.load_forum(tx, case_reference=case.case_reference)
    forum_id = existing.forum_id if existing else uuid4()
    await store.schedule_forum(
        tx, case_reference=case.case_reference, forum_id=forum_id, plan=plan, scheduled_at=now
    )
    scheduled = ForumScheduledV1(
        case_reference=case.case_reference,
        forum_id=forum_id,
        forum=plan.forum,
        scheduled_for=plan.scheduled_for,
        urgent=plan.urgent,
        urgency_justification=plan.urgency_justification,
        invited=invitations,
    )
    emit(
        tx,
        scheduled,
        cause=trigger,
        subject=case.case_reference,
        now=now,
    )
    await store.update_case(
        tx,
        case_reference=case.case_reference,
        state=CaseState.FORUM_SCHEDULED,
    )
    log.info("forum_scheduled", forum=plan.forum.value, moved=existing is not None)
    return ForumRecord(forum_id, plan.forum, plan.scheduled_for, plan.urgent, None, None)


def usual_schedule(forum: Forum, case: Case, *, now: datetime) -> Schedule:
    """The schedule a forum gets unless staff move it: its usual notice, within the deadline."""
    latest = domain.forum_latest(
        closure_due_at=case.closure_due_at,
        respond_by=case.respond_by if case.responding else None,
    )
    return Schedule(forum=forum, scheduled_for=domain.forum_date(forum, now=now, latest=latest))


async def conclude(
    tx: Transaction,
    case: Case,
    forum: ForumRecord,
    conclusion: Conclusion,
    *,
    trigger: Cause,
    now: datetime,
) -> None:
    """Record the forum's conclusion and hand it on: to disclosure, or to the owning force."""
    await store.record_forum_decision(
        tx, case_reference=case.case_reference, decided_at=now, conclusion=conclusion
    )
    others = sorted({a.agency for a in conclusion.attendance} - {tx.tenant})
    if conclusion.information_shared and others:
        await tx.audit(
            audit.Action.DISCLOSURE,
            at=now,
            case_ref=case.case_reference,
            recipients=others,
            reason=f"5.6.12: information shared at the {forum.forum.value}",
        )
    if case.responding:
        # 4.10: the responding force's forum decides for the party; the owning force is told.
        await handoff.return_findings(
            tx,
            case,
            route=conclusion.route,
            forum=forum.forum,
            recommend_disclosure=conclusion.recommend_disclosure,
            rationale=conclusion.rationale,
            trigger=trigger,
            now=now,
        )
        return
    decided = ForumDecidedV1(
        case_reference=case.case_reference,
        forum=forum.forum,
        route=conclusion.route,
        recommend_disclosure=conclusion.recommend_disclosure,
        decided_at=now,
        rationale=conclusion.rationale,
        attendance=conclusion.attendance,
        positions=conclusion.positions,
        information_shared=conclusion.information_shared,
        inform_subject=conclusion.inform_subject if conclusion.recommend_disclosure else None,
        community_risk_assessment=conclusion.community_risk_assessment,
    )
    await hand_to_disclosure(tx, case, decided, trigger=trigger, now=now)


async def hand_to_disclosure(
    tx: Transaction, case: Case, decided: ForumDecidedV1, *, trigger: Cause, now: datetime
) -> None:
    """Give the forum's conclusion to the disclosure service; the case is decided here."""
    emit(
        tx,
        decided,
        cause=trigger,
        subject=case.case_reference,
        now=now,
    )
    await store.update_case(tx, case_reference=case.case_reference, state=CaseState.DECIDED)
    log.info(
        "forum_decided",
        route=decided.route.value,
        forum=decided.forum.value,
        by=decided.decided_by_force or tx.tenant,
    )
