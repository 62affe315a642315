"""What the staff application's pages show, read from the force's services.

A case page gathers the case from every service that holds part of it, each read with the
officer's purpose (and so on each service's audit log). A part the officer's role may not
see is shown as such: initial-contact staff never see what the checks found (5.1.9).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.casework import steps as catalogue
from services.casework.backends import Answer, Backends
from services.runtime.staff import Role

FILTERS = ("view", "stage", "clock", "due", "immediate_risk")
DUE_WITHIN_DAYS = ("1", "7", "28")
CLOCK_TAGS = {"breached": "red", "at risk": "yellow", "due": "blue", "none": "grey"}


def work_filters(query: Mapping[str, str]) -> dict[str, str]:
    """The work list's filters as chosen: my cases unless the team's are asked for."""
    chosen = {name: query.get(name, "") for name in FILTERS}
    chosen["view"] = "team" if chosen["view"] == "team" else "mine"
    if chosen["immediate_risk"] not in ("", "true"):
        chosen["immediate_risk"] = ""
    if chosen["due"] not in DUE_WITHIN_DAYS:
        chosen["due"] = ""
    return chosen


def work_query(chosen: Mapping[str, str], now: datetime) -> list[tuple[str, str]]:
    """The ops work list's query for the filters chosen (a due date as "within N days")."""
    query = [(key, value) for key, value in chosen.items() if value and key not in ("view", "due")]
    if chosen["due"]:
        query.append(("due_before", (now + timedelta(days=int(chosen["due"]))).isoformat()))
    return query


@dataclass
class Part:
    """One service's part of a case: what it answered, or why it is not shown."""

    body: Any = None
    withheld: str = ""


@dataclass
class CasePage:
    """Everything the case page shows."""

    intake: dict[str, Any]
    parties: Part
    multiagency: Part
    assessment: Part
    disclosure: Part
    history: Part
    acts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changes(self) -> list[dict[str, Any]]:
        """The acts that changed the case, in order."""
        return [act for act in self.acts if not _is_read(act)]

    @property
    def reads(self) -> list[dict[str, Any]]:
        """Who read the case, and why (each read is audited with its purpose)."""
        return [act for act in self.acts if _is_read(act)]


def _is_read(act: dict[str, Any]) -> bool:
    return act.get("action") == "read"


def _part(answer: Answer) -> Part:
    if answer.ok:
        return Part(answer.body)
    if answer.status == 403:
        return Part(withheld="Your role does not show this part of the case (5.1.9).")
    if answer.status == 404:
        return Part(withheld="Not reached yet.")
    return Part(withheld="The service did not answer; reload the page shortly.")


async def case_page(
    backends: Backends, token: str, case_reference: str, purpose: str
) -> CasePage | None:
    """The case from every service, or None if it is not this force's."""

    def get(service: str, rest: str = "") -> Any:
        return backends.call(
            service,
            "GET",
            backends.case_path(service, case_reference, rest),
            token=token,
            purpose=purpose,
        )

    intake = await get("intake")
    if intake.status == 404:
        return None
    if not intake.ok:
        return CasePage(
            {}, _part(intake), _part(intake), _part(intake), _part(intake), _part(intake)
        )
    answers = await asyncio.gather(
        get("intake", "/parties"),
        get("multiagency"),
        get("multiagency", "/risk-assessment"),
        get("disclosure"),
        get("ops"),
        *(get(service, "/acts") for service in ("intake", "multiagency", "disclosure")),
    )
    parties, multiagency, assessment, disclosure, history, *acts = answers
    who_did_what = sorted(
        (
            {**act, "service": service}
            for service, answer in zip(("intake", "multiagency", "disclosure"), acts, strict=True)
            if answer.ok
            for act in answer.body
        ),
        key=lambda act: str(act["at"]),
    )
    return CasePage(
        intake=intake.body,
        parties=_part(parties),
        multiagency=_part(multiagency),
        assessment=_part(assessment),
        disclosure=_part(disclosure),
        history=_part(history),
        acts=who_did_what,
    )


def step_list(roles: Collection[Role]) -> list[tuple[str, str]]:
    """The steps this member of staff may take, in the order a case meets them."""
    order = [*catalogue.STEPS.values()]
    shown = [(step.key, step.title) for step in order if set(step.roles) & set(roles)]
    if Role.PUBLIC_PROTECTION in roles:
        at = next(i for i, (key, _) in enumerate(shown) if key == catalogue.CONSULT.key)
        shown.insert(at + 1, (catalogue.SIGN_OFF_KEY, "Sign off the full risk assessment"))
    return shown
