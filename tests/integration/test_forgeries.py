"""The forgeries found by trying the system as an outsider, each refused with no effect.

Before the broker's walls, four forged records were applied as real: a `forum-decided` that
moved a closed case back to awaiting a decision, a `checks-completed` accepted by two
services, an INI flag sent by someone other than INI, and a consultation answer from an agency
that was not asked. Here each is sent again from outside (confluent-kafka, payloads built
from the published JSON Schema examples) at a force's real disclosure and multi-agency
processes, and refused: by the broker's ACLs, by the consumer's proof of the sender, or by
the service's own rule. The case is then read straight from the database: unchanged.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from confluent_kafka import KafkaError

from schemas import topics
from schemas.artefacts import GENERATED
from services.access.broker import deprovision_all
from services.access.grants import Agency, Deployment
from services.access.operator import credential_store, operator_access, principal_access
from services.runtime.dead_letters import H_REASON
from services.runtime.supervisor import ServiceProcess
from tests.conftest import Provision
from tests.support.outsider import Config, code, produce, read_all
from tests.support.stack import FoundStack

REFUSED = KafkaError.TOPIC_AUTHORIZATION_FAILED


def example(message_type: str) -> dict[str, Any]:
    """The published JSON Schema's example of a message: what an integrator builds from."""
    schema = json.loads((GENERATED / "json" / f"{message_type}.json").read_text())
    return {name: field["examples"][0] for name, field in schema["properties"].items()}


@dataclass(frozen=True)
class Cast:
    """The tenants: a force, another force, its agencies, PNC and INI."""

    force: str
    other: str
    csc: str
    probation: str
    pnc: str
    ini: str

    def config(self, tenant: str, service: str) -> Config:
        return principal_access(tenant, service).confluent()


@dataclass
class Sent:
    """A record sent from outside: its id, for finding its dead letter."""

    message_id: str
    refused: KafkaError | None


def send(
    cast: Cast,
    writer: tuple[str, str],
    topic: str,
    payload: dict[str, Any],
    *,
    message_type: str,
    source: str | None = None,
) -> Sent:
    """Write one record as a principal, with CloudEvents headers naming `source`."""
    message_id = str(uuid.uuid4())
    subject = str(payload["case_reference"])
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", message_id.encode()),
        ("ce_source", (source or f"/{writer[0]}/{writer[1]}").encode()),
        ("ce_type", message_type.encode()),
        ("ce_time", datetime.now(UTC).isoformat().encode()),
        ("ce_subject", subject.encode()),
        ("ce_correlationid", message_id.encode()),
        ("content-type", b"application/json"),
    ]
    refused = produce(
        cast.config(*writer),
        topic,
        json.dumps(payload).encode(),
        key=subject.encode(),
        headers=headers,
    )
    return Sent(message_id, refused)


def dead_letter_reason(cast: Cast, sent: Sent, *, seconds: float = 60.0) -> str:
    """The reason the force's consumer gave for refusing a record (waits for it)."""
    ops = cast.config(cast.force, "ops")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for letter in read_all(ops, topics.dead_letters(cast.force), group=f"{cast.force}.ops"):
            if letter.headers.get("ce_id") == sent.message_id.encode():
                return letter.headers[H_REASON].decode()
        time.sleep(1.0)
    raise AssertionError(f"no dead letter for {sent.message_id} within {seconds:.0f} s")


def query(database_url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """Read the services' tables as the schema owner, outside the services."""
    import asyncio  # noqa: PLC0415

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database_url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def wait_for(check: Any, what: str, seconds: float = 60.0) -> Any:
    """Poll until `check()` returns something truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds:.0f} s")


@pytest.fixture(scope="module")
def cast(stack: FoundStack, provision: Provision) -> Iterator[Cast]:
    """The module's tenants, provisioned once, taken away at the end."""
    del stack
    tag = uuid.uuid4().hex[:6]
    made = Cast(
        force=f"forg{tag}",
        other=f"othr{tag}",
        csc=f"csc-forg{tag}",
        probation=f"probation-forg{tag}",
        pnc=f"pnc{tag}",
        ini=f"ini{tag}",
    )
    deployment = Deployment(
        forces=(made.force, made.other),
        agencies=(
            Agency(made.csc, "childrens-social-care", (made.force,)),
            Agency(made.probation, "probation", (made.force,)),
            Agency(made.pnc, "pnc"),
            Agency(made.ini, "ini"),
        ),
    )
    provision(deployment, partitions=1)  # the broker's walls and the database logins
    try:
        yield made
    finally:
        deprovision_all(operator_access(), deployment.tenants(), credential_store())


@pytest.fixture(scope="module")
def processes(
    cast: Cast, stack: FoundStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    """The force's disclosure and multi-agency services, as separate processes."""
    import asyncio  # noqa: PLC0415

    from deploy.local import stack as local  # noqa: PLC0415
    from deploy.local.databases import create_database, drop_database  # noqa: PLC0415

    del stack
    server = local.addresses()
    database_url = asyncio.run(create_database(server.database_url, prefix="csods_forgeries"))
    logs = tmp_path_factory.mktemp("forgeries")
    areas = [
        {
            "force": cast.force,
            "childrens_social_care": cast.csc,
            "probation": cast.probation,
            "postcode_areas": ["QA"],
        }
    ]
    env = {
        **server.client_env(),
        "CSODS_DATABASE_URL": database_url,
        "CSODS_DISCLOSURE_NO_CONCERNS": "letter",
        "CSODS_DISCLOSURE_INI_TENANT": cast.ini,
        "CSODS_MULTIAGENCY_AREAS": json.dumps(areas),
    }
    started = {
        name: ServiceProcess(name, cast.force, logs / f"{name}.log", env)
        for name in ("disclosure", "multiagency")
    }
    for process in started.values():
        process.start()
    try:
        for process in started.values():
            process.wait_for_event("service_ready", timeout=90)
        yield {**started, "database_url": database_url}  # type: ignore[dict-item]
    finally:
        for process in started.values():
            process.stop()
        asyncio.run(drop_database(server.database_url, database_url))


def _database(processes: dict[str, Any]) -> str:
    return str(processes["database_url"])


def _closed_case(cast: Cast, processes: dict[str, Any], number: int) -> str:
    """A case the forum found no concerns in, told by letter and closed (5.6.5, 6.1)."""
    case = f"{cast.force}-2026-{number:06d}"
    decided = example("csods.multiagency.forum-decided.v1") | {
        "case_reference": case,
        "route": "no-concerns",
        "attendance": [{"agency": cast.force, "role": "detective sergeant"}],
    }
    sent = send(
        cast,
        (cast.force, "multiagency"),
        topics.stream(cast.force, "multiagency", "forum-decided"),
        decided,
        message_type="csods.multiagency.forum-decided.v1",
    )
    assert sent.refused is None
    sql = "SELECT status, closed_at FROM disclosure.cases WHERE tenant = $1 AND case_reference = $2"
    wait_for(
        lambda: [r for r in query(_database(processes), sql, cast.force, case) if r["closed_at"]],
        "the case closed",
    )
    return case


def test_a_forged_forum_decision_never_reopens_a_closed_case(
    cast: Cast, processes: dict[str, Any]
) -> None:
    case = _closed_case(cast, processes, 101)
    sql = "SELECT status, closed_at FROM disclosure.cases WHERE tenant = $1 AND case_reference = $2"
    [before] = query(_database(processes), sql, cast.force, case)
    reopening = example("csods.multiagency.forum-decided.v1") | {
        "case_reference": case,
        "route": "concerns",
        "recommend_disclosure": True,
    }
    stream = topics.stream(cast.force, "multiagency", "forum-decided")
    # Another force, an agency, and the force's own checks service: the broker refuses all.
    for writer in (
        (cast.other, "multiagency"),
        (cast.csc, "childrens-social-care"),
        (cast.force, "checks"),
    ):
        sent = send(
            cast, writer, stream, reopening, message_type="csods.multiagency.forum-decided.v1"
        )
        assert sent.refused is not None, f"{writer} wrote {stream}"
        assert sent.refused.code() == REFUSED, code(sent.refused)
    # The stream's own writer, sending it anyway, is refused by disclosure: the case is closed.
    sent = send(
        cast,
        (cast.force, "multiagency"),
        stream,
        reopening,
        message_type="csods.multiagency.forum-decided.v1",
    )
    assert sent.refused is None
    reason = dead_letter_reason(cast, sent)
    assert "case is closed" in reason
    [after] = query(_database(processes), sql, cast.force, case)
    assert (after["status"], after["closed_at"]) == (before["status"], before["closed_at"])


def test_forged_checks_are_refused_by_the_broker_and_by_a_closed_case(
    cast: Cast, processes: dict[str, Any]
) -> None:
    case = _closed_case(cast, processes, 102)
    completed = example("csods.checks.checks-completed.v1") | {"case_reference": case}
    stream = topics.stream(cast.force, "checks", "checks-completed")
    for writer in (
        (cast.other, "checks"),
        (cast.pnc, "pnc"),
        (cast.force, "multiagency"),
        (cast.force, "ops"),
    ):
        sent = send(
            cast, writer, stream, completed, message_type="csods.checks.checks-completed.v1"
        )
        assert sent.refused is not None, f"{writer} wrote {stream}"
        assert sent.refused.code() == REFUSED, code(sent.refused)
    sent = send(
        cast,
        (cast.force, "checks"),
        stream,
        completed,
        message_type="csods.checks.checks-completed.v1",
    )
    assert sent.refused is None
    assert "case is closed" in dead_letter_reason(cast, sent)


def test_only_ini_flags_a_subject_and_nobody_can_flag_in_its_name(
    cast: Cast, processes: dict[str, Any]
) -> None:
    case = f"{cast.force}-2026-000201"
    flag = example("csods.disclosure.repeated-requests-flagged.v1") | {
        "force": cast.force,
        "case_reference": case,
        "subject_reference": f"INI/{uuid.uuid4().hex[:8]}",
        "requests": [
            {
                "case_reference": f"{cast.other}-2026-000007",
                "closed_at": "2026-09-14T11:00:00+00:00",
                "force": cast.other,
                "outcome": "no-disclosure",
            },
            {
                "case_reference": case,
                "closed_at": "2026-12-01T16:00:00+00:00",
                "force": cast.force,
                "outcome": "disclosure",
            },
        ],
    }
    kind = "csods.disclosure.repeated-requests-flagged.v1"
    # PNC, on its own inbox at the force, as itself: not INI, refused by the rule (6.1).
    as_itself = send(
        cast, (cast.pnc, "pnc"), topics.inbox(cast.force, cast.pnc), flag, message_type=kind
    )
    assert as_itself.refused is None
    assert "is not INI" in dead_letter_reason(cast, as_itself)
    # PNC claiming to be INI on the inbox it may write: the topic proves who sent it.
    claiming = send(
        cast,
        (cast.pnc, "pnc"),
        topics.inbox(cast.force, cast.pnc),
        flag,
        message_type=kind,
        source=f"/{cast.ini}/ini",
    )
    assert "not proven" in dead_letter_reason(cast, claiming)
    # PNC on INI's own inbox at the force: the broker refuses.
    into_ini = send(
        cast, (cast.pnc, "pnc"), topics.inbox(cast.force, cast.ini), flag, message_type=kind
    )
    assert into_ini.refused is not None
    assert into_ini.refused.code() == REFUSED, code(into_ini.refused)
    sql = (
        "SELECT count(*) AS n FROM disclosure.repeated_requests"
        " WHERE tenant = $1 AND subject_reference = $2"
    )
    assert query(_database(processes), sql, cast.force, flag["subject_reference"])[0]["n"] == 0
    # INI itself is heard: the control that shows the refusals were about the sender.
    genuine = send(
        cast, (cast.ini, "ini"), topics.inbox(cast.force, cast.ini), flag, message_type=kind
    )
    assert genuine.refused is None
    wait_for(
        lambda: (
            query(_database(processes), sql, cast.force, flag["subject_reference"])[0]["n"] == 1
        ),
        "INI's own flag kept",
    )


def test_a_consultation_answer_from_an_agency_not_asked_is_refused(
    cast: Cast, processes: dict[str, Any]
) -> None:
    from services.runtime.clock import FrozenClock  # noqa: PLC0415
    from tests.component.test_multiagency_harness import (  # noqa: PLC0415
        application,
        checks,
        enquiry,
        finding,
    )

    clock = FrozenClock(datetime.now(UTC))
    case = f"{cast.force}-2026-000301"
    intake = (cast.force, "intake")
    for event, message in (
        ("enquiry-registered", enquiry(case, clock)),
        ("application-submitted", application(case, clock)),
    ):
        sent = send(
            cast,
            intake,
            topics.stream(cast.force, "intake", event),
            json.loads(message.to_json()),
            message_type=message.TYPE,
        )
        assert sent.refused is None
    stage4 = checks(case, clock, finding())
    sent = send(
        cast,
        (cast.force, "checks"),
        topics.stream(cast.force, "checks", "checks-completed"),
        json.loads(stage4.to_json()),
        message_type=stage4.TYPE,
    )
    assert sent.refused is None
    sql = (
        "SELECT agency, status, consultation_id FROM multiagency.consultations"
        " WHERE tenant = $1 AND case_reference = $2"
    )
    asked = wait_for(
        lambda: (
            {r["agency"]: r for r in query(_database(processes), sql, cast.force, case)}
            if len(query(_database(processes), sql, cast.force, case)) == 2
            else None
        ),
        "both agencies asked",
    )
    csc_consultation = str(asked[cast.csc]["consultation_id"])
    answer = example("csods.multiagency.consultation-answered.v1") | {
        "consultation_id": csc_consultation,
        "case_reference": case,
        "agency": cast.probation,
    }
    kind = "csods.multiagency.consultation-answered.v1"
    probation = (cast.probation, "probation")
    # Probation answers the question put to children's social care, as itself: refused.
    as_itself = send(
        cast, probation, topics.inbox(cast.force, cast.probation), answer, message_type=kind
    )
    assert as_itself.refused is None
    assert "was not asked" in dead_letter_reason(cast, as_itself)
    # Probation in children's social care's name, on its own inbox: the sender is not proven.
    named = answer | {"agency": cast.csc}
    claiming = send(
        cast,
        probation,
        topics.inbox(cast.force, cast.probation),
        named,
        message_type=kind,
        source=f"/{cast.csc}/childrens-social-care",
    )
    assert "not proven" in dead_letter_reason(cast, claiming)
    # And on children's social care's inbox at the force: the broker refuses.
    into_csc = send(cast, probation, topics.inbox(cast.force, cast.csc), named, message_type=kind)
    assert into_csc.refused is not None
    assert into_csc.refused.code() == REFUSED, code(into_csc.refused)
    rows = {r["agency"]: r["status"] for r in query(_database(processes), sql, cast.force, case)}
    assert rows[cast.csc] == "requested"
    # Children's social care answering for itself is heard: the control.
    genuine = send(
        cast,
        (cast.csc, "childrens-social-care"),
        topics.inbox(cast.force, cast.csc),
        named,
        message_type=kind,
    )
    assert genuine.refused is None
    wait_for(
        lambda: (
            {r["agency"]: r["status"] for r in query(_database(processes), sql, cast.force, case)}[
                cast.csc
            ]
            == "answered"
        ),
        "children's social care's own answer applied",
    )
