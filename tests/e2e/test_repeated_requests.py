"""Two forces ask about one subject: INI keeps both reports and flags the subject to both (6.1).

Each force's disclosure service and the INI stand-in run as their own processes on the real
broker and database. The test plays each force's intake (the application, on the force's
stream) and its staff (closing the case on the force's HTTP API); the final intelligence
reports, INI's flags and the forces' records of them travel as they would in service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from schemas import topics
from schemas.envelope import first_envelope, source_of
from schemas.examples import example_payload
from schemas.intake import ApplicationSubmittedV1
from services import journey
from services.access.grants import Agency
from services.disclosure.use_cases import INI_SETTING
from tests.conftest import Provision
from tests.e2e.conftest import Start
from tests.e2e.test_intake_http import free_port
from tests.support.stack import FoundStack
from tests.support.staff import headers
from tests.support.topics import deployment_of


def apply(stack: FoundStack, force: str) -> str:
    """The force's intake: an application about the example subject, on the force's stream."""
    case = f"{force}-{datetime.now(UTC).year}-000001"
    submitted = ApplicationSubmittedV1.model_validate(
        {**example_payload(ApplicationSubmittedV1), "case_reference": case}
    )
    envelope = first_envelope(
        type=submitted.TYPE,
        source=source_of(force, "intake"),
        subject=case,
        time=datetime.now(UTC),
    )
    topic = topics.stream(force, "intake", "application-submitted")
    asyncio.run(
        journey.publish(stack.principal_access(force, "intake"), topic, submitted, envelope)
    )
    return case


def eventually(http: httpx.Client, path: str, *, until: Callable[[Any], bool]) -> Any:
    """GET `path` until its answer satisfies `until`; fail after a minute."""
    deadline = time.monotonic() + 60
    while True:
        response = http.get(path)
        if response.status_code == 200 and until(response.json()):
            return response.json()
        assert time.monotonic() < deadline, f"{path}: {response.status_code} {response.text}"
        time.sleep(0.3)


def test_two_forces_asking_about_one_subject_are_both_flagged(
    stack: FoundStack, tenant: str, start_for: Start, provision: Provision
) -> None:
    first, second, ini = tenant, f"{tenant}b", f"{tenant}-ini"
    provision(deployment_of(first, second, agencies=[Agency(ini, "ini", (first, second))]))
    ports = {first: free_port(), second: free_port()}
    processes = [start_for("ini", ini)] + [
        start_for("disclosure", force, CSODS_HTTP_PORT=str(port), **{INI_SETTING: ini})
        for force, port in ports.items()
    ]
    for process in processes:
        process.wait_for_event("service_ready", timeout=90)
    forces = {
        force: httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=headers(force))
        for force, port in ports.items()
    }
    cases = {force: apply(stack, force) for force in forces}
    for force, http in forces.items():
        eventually(http, f"/cases/{cases[force]}", until=lambda view: view["status"] is not None)

    # The first force's case closes (one request on record: no pattern yet), then the second.
    summary = {"withdrawn": True, "summary": "Applicant withdrew after the first contact."}
    closed = forces[first].post(f"/cases/{cases[first]}/close", json=summary)
    assert closed.status_code == 200, closed.text
    processes[0].wait_for_event("message_applied")  # INI has kept the first report

    # INI now holds two requests and tells both forces, each once: one flag, both requests.
    assert forces[second].post(f"/cases/{cases[second]}/close", json=summary).status_code == 200
    for force, http in forces.items():
        flags = eventually(http, "/repeated-requests", until=bool)
        assert len(flags) == 1
        assert flags[0]["forces"] == 2
        assert flags[0]["own_cases"] == [cases[force]]  # only its own cases are its own
        assert [r["case_reference"] for r in flags[0]["requests"]] == [cases[first], cases[second]]
        on_case = http.get(f"/cases/{cases[force]}/repeated-requests").json()
        assert on_case == flags
    for http in forces.values():
        http.close()
