"""A force keeps INI's flags on subjects with several requests on record, and shows them (6.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas import topics
from schemas.disclosure import RepeatedRequestsFlaggedV1
from schemas.envelope import first_envelope, source_of
from services.disclosure.use_cases import INI_SETTING
from services.runtime.consumer import Record, Verdict
from tests.component.test_disclosure_api import Disclosure, arrive, d
from tests.support.records import record

FLAGGED_AT = datetime(2026, 12, 5, 16, 0, 2, tzinfo=UTC)

__all__ = ["d"]  # the disclosure service's fixture, used by name


@pytest.fixture
def force(d: Disclosure, tenant: str, monkeypatch: pytest.MonkeyPatch) -> Disclosure:
    """The force's disclosure service, with this test's INI as the one that may flag."""
    monkeypatch.setenv(INI_SETTING, f"{tenant}-ini")  # read when a flag arrives
    return d


def flag(
    force: str, case: str, *, earlier: int = 1, at: datetime = FLAGGED_AT
) -> RepeatedRequestsFlaggedV1:
    """INI's flag to `force` about the subject of `case`, after `earlier` requests by others."""
    requests = [
        {
            "force": "cleveland",
            "case_reference": f"cleveland-2026-{number:06d}",
            "outcome": "no-disclosure",
            "closed_at": (at - timedelta(days=30 * number)).isoformat(),
        }
        for number in range(earlier, 0, -1)
    ]
    requests.append(
        {
            "force": force,
            "case_reference": case,
            "outcome": "disclosure",
            "closed_at": at.isoformat(),
        }
    )
    return RepeatedRequestsFlaggedV1.model_validate(
        {
            "force": force,
            "case_reference": case,
            "subject_reference": "INI/000812",
            "requests": requests,
            "flagged_at": at,
        }
    )


def on_inbox(tenant: str, message: RepeatedRequestsFlaggedV1, *, sender: str) -> Record:
    envelope = first_envelope(
        type=message.TYPE,
        source=source_of(sender, "system"),
        subject=message.case_reference,
        time=message.flagged_at,
    )
    return record(
        topics.inbox(tenant, sender), value=message.to_json(), headers=envelope.to_headers()
    )


async def dead_letters(force: Disclosure) -> list[str]:
    async with force.component.database.transaction(force.tenant) as tx:
        rows = await tx.conn.fetch(
            "SELECT header_names, header_values FROM outbox WHERE topic = $1",
            topics.dead_letters(force.tenant),
        )
    return [
        dict(zip(row["header_names"], row["header_values"], strict=True))["dlq_reason"].decode()
        for row in rows
    ]


async def test_a_flag_from_ini_is_kept_and_shown_with_the_forces_case(force: Disclosure) -> None:
    case = await arrive(force, route="concerns")
    incoming = on_inbox(force.tenant, flag(force.tenant, case), sender=f"{force.tenant}-ini")
    assert await force.process(incoming) is Verdict.APPLIED
    shown = (await force.http.get(f"/cases/{case}/repeated-requests")).json()
    assert len(shown) == 1
    assert shown[0]["forces"] == 2
    assert shown[0]["own_cases"] == [case]
    assert [r["force"] for r in shown[0]["requests"]] == ["cleveland", force.tenant]
    assert (await force.http.get("/repeated-requests")).json() == shown


async def test_a_case_without_a_flag_shows_none(force: Disclosure) -> None:
    case = await arrive(force, route="concerns")
    assert (await force.http.get(f"/cases/{case}/repeated-requests")).json() == []
    unknown = await force.http.get(f"/cases/{force.tenant}-2026-999999/repeated-requests")
    assert unknown.status_code == 404


async def test_a_flag_not_sent_by_ini_is_dead_lettered(force: Disclosure) -> None:
    case = await arrive(force, route="concerns")
    forged = on_inbox(force.tenant, flag(force.tenant, case), sender="cleveland")
    assert await force.process(forged) is Verdict.DEAD
    assert any("ce_source" in reason and "INI" in reason for reason in await dead_letters(force))
    assert (await force.http.get("/repeated-requests")).json() == []


async def test_a_flag_addressed_to_another_force_is_dead_lettered(force: Disclosure) -> None:
    other = f"{force.tenant}x"
    misrouted = on_inbox(
        force.tenant, flag(other, f"{other}-2026-000001"), sender=f"{force.tenant}-ini"
    )
    assert await force.process(misrouted) is Verdict.DEAD
    assert any(reason.startswith("force:") for reason in await dead_letters(force))


async def test_an_older_flag_does_not_replace_a_newer_one(force: Disclosure) -> None:
    case = await arrive(force, route="concerns")
    ini = f"{force.tenant}-ini"
    newer = flag(force.tenant, case, earlier=2, at=FLAGGED_AT)
    older = flag(force.tenant, case, earlier=1, at=FLAGGED_AT - timedelta(hours=1))
    assert await force.process(on_inbox(force.tenant, newer, sender=ini)) is Verdict.APPLIED
    assert await force.process(on_inbox(force.tenant, older, sender=ini)) is Verdict.APPLIED
    shown = (await force.http.get(f"/cases/{case}/repeated-requests")).json()
    assert len(shown[0]["requests"]) == 3  # the newer list, of three requests
