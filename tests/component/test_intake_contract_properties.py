"""Contracts that tell the truth, through the service: an online-portal enquiry built from the
published JSON Schema alone is registered (or redirected, or kept as intelligence), or it is
dead-lettered for a rule the same schema lists (`x-rules`), word for word. An integrator who
follows the contract is never refused for a rule it does not state."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

from schemas import topics
from schemas.envelope import first_envelope, source_of
from schemas.intake import RegisterEnquiryV1
from services.runtime.consumer import Verdict
from tests.component.conftest import Component
from tests.component.test_processor import dead_letters
from tests.support.records import record
from tests.unit.test_contract_properties import FORMATS, listed_rules, published

Build = Callable[..., Awaitable[Component]]


def drawn(schema: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Enquiries the published schema allows, drawn the same way each run."""
    payloads: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(from_schema(copy.deepcopy(schema), custom_formats=FORMATS))
    def collect(payload: dict[str, Any]) -> None:
        payloads.append(payload)

    collect()
    return payloads


async def test_an_enquiry_the_published_schema_allows_is_taken_or_refused_by_a_listed_rule(
    component: Build, tenant: str
) -> None:
    intake = await component("intake", tenant)
    schema = published(RegisterEnquiryV1)
    rules = set(listed_rules(schema))
    verdicts: list[Verdict] = []
    for payload in drawn(schema, 60):
        # Addressed to the force whose inbox it is on, by that force's portal (the topic's wall).
        enquiry = {**payload, "force": tenant, "submission_id": str(uuid.uuid4())}
        envelope = first_envelope(
            type=RegisterEnquiryV1.TYPE,
            source=source_of(tenant, "portal"),
            subject=enquiry["submission_id"],
            time=intake.clock.now(),
        )
        incoming = record(
            topics.inbox(tenant, tenant),
            value=json.dumps(enquiry).encode(),
            headers=envelope.to_headers(),
            key=envelope.key,
        )
        before = len(await dead_letters(intake.database, tenant))
        verdict = await intake.processor.process(incoming)
        verdicts.append(verdict)
        assert verdict in {Verdict.APPLIED, Verdict.DEAD}
        if verdict is Verdict.DEAD:
            letters = await dead_letters(intake.database, tenant)
            assert len(letters) == before + 1
            reason = letters[-1]["headers"]["dlq_reason"].decode()
            assert any(_says(reason, rule) for rule in rules), (
                f"refused for a rule the contract does not list: {reason}"
            )
    assert Verdict.APPLIED in verdicts
    assert Verdict.DEAD in verdicts  # the listed rules are really applied


def _says(reason: str, rule: str) -> bool:
    """Whether a refusal's reason is a listed rule: the field and its words, as listed."""
    field, _, words = rule.partition(": ")
    stated = words.split(", unless ")[0]
    return (stated in reason and field in reason) or rule in reason
