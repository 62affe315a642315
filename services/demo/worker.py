"""A scripted case worker: the human steps of a case, taken through the public APIs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from services.runtime.reads import PURPOSE_HEADER


class StepRefused(RuntimeError):  # noqa: N818 - what happened, in plain words
    """An API refused a step the script expected to succeed."""


class CaseWorker:
    """Staff of every force at once: intake desk, forum secretary, decision maker, officer."""

    def __init__(
        self,
        url: Callable[[str, str], str],
        sign_in: Callable[[str], str],
        *,
        timeout: float = 10.0,
    ) -> None:
        self._url = url
        self._http = httpx.Client(timeout=timeout)
        self._sign_in = sign_in  # a force -> a token from its issuer
        self._tokens: dict[str, str] = {}

    def _signed_in(self, force: str) -> dict[str, str]:
        """The worker's staff token for one force: every role, as the script plays them all;
        and the purpose every read of a case is audited with."""
        if force not in self._tokens:
            self._tokens[force] = self._sign_in(force)
        return {
            "Authorization": f"Bearer {self._tokens[force]}",
            PURPOSE_HEADER: "demo: the case worker's next step",
        }

    def release(self) -> None:
        """Let go of the connections."""
        self._http.close()

    def call(self, method: str, service: str, force: str, path: str, body: Any = None) -> Any:
        """One API call; anything but success stops the script with the API's own words."""
        answer = self._http.request(
            method, self._url(service, force) + path, json=body, headers=self._signed_in(force)
        )
        if answer.status_code >= 300:
            raise StepRefused(
                f"{method} {service}@{force}{path}: {answer.status_code} {answer.text}"
            )
        if answer.headers.get("content-type", "").startswith("application/json"):
            return answer.json()
        return answer.text

    def wait(
        self,
        service: str,
        force: str,
        case_reference: str,
        until: Callable[[dict[str, Any]], bool],
        *,
        within: float = 90.0,
        what: str = "",
    ) -> dict[str, Any]:
        """Poll a case's record at a service until `until` holds."""
        deadline = time.monotonic() + within
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            answer = self._http.get(
                f"{self._url(service, force)}/cases/{case_reference}",
                headers=self._signed_in(force),
            )
            if answer.status_code == 200:
                last = answer.json()
                if until(last):
                    return last
            time.sleep(0.25)
        raise TimeoutError(f"{service}@{force} {case_reference}: never {what}; last {last}")

    # Intake (stages 1 to 3)
    def contact(self, force: str, details: dict[str, Any]) -> str:
        """Record an initial contact; return the case reference."""
        case = self.call("POST", "intake", force, "/enquiries", details)
        return str(case["case_reference"])

    def face_to_face(self, force: str, case: str, details: dict[str, Any]) -> None:
        """Record the face-to-face application."""
        self.call("POST", "intake", force, f"/cases/{case}/application", details)

    def information_pack(self, force: str, case: str) -> None:
        """Record that the information pack was given."""
        self.call("POST", "intake", force, f"/cases/{case}/information-pack", {"format": "paper"})

    # Multi-agency (stages 4 and 5)
    def sign_off(self, force: str, case: str) -> None:
        """As the trained officer: sign the full risk assessment off once it waits, with every
        Appendix D question answered and the categorisation the records show (5.4.2)."""
        self.wait(
            "multiagency",
            force,
            case,
            lambda c: c["state"] not in {"open", "assessing"},
            what="a risk assessment to sign off",
        )
        proposed = self.call("GET", "multiagency", force, f"/cases/{case}/risk-assessment")
        if proposed["state"] != "awaiting-sign-off":
            return
        answer = "Considered with the checks' records and the agencies' answers."
        self.call(
            "POST",
            "multiagency",
            force,
            f"/cases/{case}/risk-assessment/sign-off",
            {
                "route": proposed["route"],
                "categories": proposed["categories"],
                "answers": dict.fromkeys(proposed["questions"], answer),
                "rationale": "Signed off as the records show, having read them all.",
            },
        )

    def forum_decision(self, force: str, case: str, decision: dict[str, Any]) -> None:
        """Record the forum's conclusion once the case is ready for it, on the route the
        signed-off assessment found (the script never says the route itself)."""
        self.sign_off(force, case)
        scheduled = self.wait(
            "multiagency",
            force,
            case,
            lambda c: c.get("forum") is not None,
            what="a forum scheduled",
        )
        concluded = {**decision, "route": scheduled["route"]}
        self.call("POST", "multiagency", force, f"/cases/{case}/forum/decision", concluded)

    def escalate(self, force: str, case: str, grounds: str) -> None:
        """Raise imminent risk that came to light, for children's social care (2.7, 5.6.11)."""
        self.call(
            "POST",
            "multiagency",
            force,
            f"/cases/{case}/escalations",
            {"stage": "outcome-and-closure", "risk": "imminent", "grounds": grounds},
        )

    # Disclosure (stages 5 and 6)
    def disclosure_case(self, force: str, case: str, status: set[str]) -> dict[str, Any]:
        """Wait until the disclosure service holds the case at one of `status`."""
        return self.wait(
            "disclosure",
            force,
            case,
            lambda c: c["status"] in status,
            what=f"one of {sorted(status)}",
        )

    def decide(self, force: str, case: str, decision: dict[str, Any]) -> None:
        """Record the disclosure decision."""
        self.call("POST", "disclosure", force, f"/cases/{case}/decision", decision)

    def deliver(self, force: str, case: str, delivery: dict[str, Any]) -> None:
        """Record the disclosure delivered in person."""
        self.call("POST", "disclosure", force, f"/cases/{case}/delivery", delivery)

    def tell_nothing_to_disclose(self, force: str, case: str, method: str) -> None:
        """Record the non-disclosure visit or letter."""
        self.call("POST", "disclosure", force, f"/cases/{case}/non-disclosure", {"method": method})

    def protect(self, force: str, case: str, actions: list[str], description: str) -> None:
        """Record protective action."""
        body = {"actions": actions, "description": description}
        self.call("POST", "disclosure", force, f"/cases/{case}/protective-action", body)

    def tell_subject(self, force: str, case: str) -> None:
        """Record that the subject was told in person, as the forum decided (5.6.25)."""
        body = {"in_person": True, "scheme_information_given": True}
        self.call("POST", "disclosure", force, f"/cases/{case}/subject-told", body)

    def close_case(self, force: str, case: str, summary: str) -> dict[str, Any]:
        """Close the case; return its disclosure record."""
        closed = self.call(
            "POST", "disclosure", force, f"/cases/{case}/close", {"summary": summary}
        )
        return dict(closed)
